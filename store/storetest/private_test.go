package storetest_test

import (
	"database/sql"
	"testing"

	"github.com/switchyard/switchyard/store/storetest"
)

func TestPrivatePostgres(t *testing.T) {
	p := storetest.StartPrivatePostgres(t)
	db, err := sql.Open("pgx", p.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Ping(); err != nil {
		t.Fatal(err)
	}
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := db.Ping(); err == nil {
		t.Fatal("ping after stop succeeded")
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	if err := db.Ping(); err != nil {
		t.Fatalf("ping after restart: %v", err)
	}
}

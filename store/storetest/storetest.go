// Package storetest gives other packages' tests a fresh store database of
// either driver: a temp-dir SQLite file, or a new PostgreSQL database
// (dropped when the test ends) on SWITCHYARD_TEST_DATABASE_URL or the
// local server.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver

	"github.com/switchyard/switchyard/store"
)

// DefaultPostgres is the test server when SWITCHYARD_TEST_DATABASE_URL is
// not set.
const DefaultPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// Drivers lists both store drivers (SQLite first).
var Drivers = []string{store.DriverSQLite, store.DriverPostgres}

// Options returns store options for a fresh database of the driver. An
// unreachable PostgreSQL skips the test, and fails it under CI=true.
func Options(t testing.TB, driver string) store.Options {
	t.Helper()
	if driver == store.DriverSQLite {
		return store.Options{DataDir: t.TempDir()}
	}
	base := os.Getenv("SWITCHYARD_TEST_DATABASE_URL")
	if base == "" {
		base = DefaultPostgres
	}
	admin, err := sql.Open("pgx", base)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = admin.PingContext(ctx)
		cancel()
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL unreachable: %v (CI=true: a skipped integration test is a failure)", err)
		}
		t.Skipf("PostgreSQL unreachable: %v", err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "sy_test_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
			t.Errorf("drop %s: %v", name, err)
		}
		_ = admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("SWITCHYARD_TEST_DATABASE_URL: %v", err)
	}
	u.Path = "/" + name
	return store.Options{URL: u.String()}
}

// Open opens a store with o, migrates it, and closes it when the test
// ends (Options(t, driver) gives o for a fresh database; o may also set
// Observe, SlowQuery…).
func Open(t testing.TB, o store.Options) *store.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := store.Open(ctx, o)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("migrate store: %v", err)
	}
	return s
}

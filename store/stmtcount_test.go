package store

import "testing"

func TestStmtKind(t *testing.T) {
	for sql, want := range map[string]string{
		`SELECT * FROM "call_attempts" WHERE id = $1 LIMIT 1`:                           "SELECT call_attempts",
		"SELECT `attempts` FROM `calls` WHERE id = ?":                                   "SELECT calls",
		`INSERT INTO calls (id) VALUES (?) ON CONFLICT (id) DO UPDATE SET attempts = 1`: "INSERT calls",
		`UPDATE "call_list_records" SET "lease_owner"=$1 WHERE id = $2`:                 "UPDATE call_list_records",
		"  DELETE FROM call_attempts\n WHERE id = ?":                                    "DELETE call_attempts",
		"SAVEPOINT sy_group":                          "SAVEPOINT",
		"RELEASE SAVEPOINT sy_group":                  "RELEASE",
		`SELECT count(*) FROM (SELECT 1 FROM x) AS y`: "SELECT x",
		`WITH c AS (INSERT INTO calls (id) VALUES (1) RETURNING id) INSERT INTO call_attempts SELECT id FROM c`: "WITH INSERT calls",
	} {
		if got := stmtKind(sql); got != want {
			t.Errorf("stmtKind(%q) = %q, want %q", sql, got, want)
		}
	}
}

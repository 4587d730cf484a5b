package storetest

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"
)

// SeedCallReport fills a PostgreSQL store database (url) with n finished
// attempts (one call each) of the account, started one second apart from
// base: four flows (two inbound, two outbound), four statuses, every
// fourth attempt in the queue "sales". Benchmarks of the call report use
// it: the rows are written by SQL, not through the store, so 100 000 take
// seconds.
func SeedCallReport(tb testing.TB, url string, accountID int64, base time.Time, n int) {
	tb.Helper()
	ctx := context.Background()
	db, err := sql.Open("pgx", url)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		`INSERT INTO flows (account_id, name, type, draft, created_at, updated_at)
		 SELECT $1, 'Flow ' || g, CASE WHEN g % 2 = 0 THEN 'inbound' ELSE 'outbound' END, '{}', now(), now() FROM generate_series(1, 4) g`,
		`INSERT INTO calls (id, account_id, direction, flow_id, cli, dnis, status, attempts, created_at, updated_at, finished_at)
		 SELECT lpad(to_hex(g), 32, '0')::uuid::text, $1, 'outbound', (SELECT min(id) FROM flows WHERE account_id = $1) + g % 4,
		        '+4930' || (1000000 + g % 1000), '+49151' || (10000000 + g), 'IVR_FINISHED', 1,
		        $2::timestamptz + g * interval '1 second', $2::timestamptz + g * interval '1 second', $2::timestamptz + g * interval '1 second' + interval '42 seconds'
		 FROM generate_series(0, $3 - 1) g`,
		`INSERT INTO call_attempts (id, call_id, account_id, attempt_number, channel_id, asterisk_node, direction, cli, dnis, state, status,
		        hangup_cause, hangup_cause_text, remote_hangup, started_at, answered_at, ended_at, duration_ms, billsec_ms, dtmf, recorded,
		        recording_uri, finish_reason, variables, queue, sms_number, email)
		 SELECT lpad(to_hex(g + 4294967296), 32, '0')::uuid::text, lpad(to_hex(g), 32, '0')::uuid::text, $1, 1, 'ch-' || g, 'node1', 'outbound',
		        '+4930' || (1000000 + g % 1000), '+49151' || (10000000 + g), 'finished',
		        (ARRAY['IVR_FINISHED','BUSY','NOANSWER','QUEUE_ANSWER'])[1 + g % 4], 16, 'Normal Clearing', g % 2 = 0,
		        $2::timestamptz + g * interval '1 second', $2::timestamptz + g * interval '1 second' + interval '3 seconds',
		        $2::timestamptz + g * interval '1 second' + interval '42 seconds', 42000, 39000, CASE WHEN g % 3 = 0 THEN '1#' ELSE '' END, false,
		        '', 'hangup', '{}', CASE WHEN g % 4 = 3 THEN 'sales' ELSE '' END, '', ''
		 FROM generate_series(0, $3 - 1) g`,
		`ANALYZE`,
	} {
		var err error
		switch {
		case q == `ANALYZE`:
			_, err = db.ExecContext(ctx, q)
		case strings.HasPrefix(q, "INSERT INTO flows"):
			_, err = db.ExecContext(ctx, q, accountID)
		default:
			_, err = db.ExecContext(ctx, q, accountID, base, n)
		}
		if err != nil {
			tb.Fatalf("seed the call report: %v\n%s", err, q)
		}
	}
}

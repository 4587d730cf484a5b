package store

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"time"

	gormlogger "gorm.io/gorm/logger"
)

// gormLogger adapts gorm's logger to slog:
//   - failed statements at error level, except "record not found", a
//     cancelled/expired caller context, and unique/foreign-key violations:
//     the store turns those into ErrNotFound/ErrConflict answers, so they are
//     logged at debug level only;
//   - statements slower than the threshold at warn level;
//   - everything else at debug level, and only when debug is enabled (the SQL
//     text is not even rendered otherwise).
//
// Bind parameters are never logged (ParamsFilter): they include API key
// hashes, password hashes and phone numbers.
type gormLogger struct {
	log   *slog.Logger
	slow  time.Duration
	level gormlogger.LogLevel
	count *stmtCounter
}

var _ gormlogger.Interface = (*gormLogger)(nil)

var pgPlaceholder = regexp.MustCompile(`\$(\d+)\$`)

func newGormLogger(log *slog.Logger, slow time.Duration, count *stmtCounter) *gormLogger {
	return &gormLogger{log: log, slow: slow, level: gormlogger.Info, count: count}
}

func (g *gormLogger) LogMode(l gormlogger.LogLevel) gormlogger.Interface {
	c := *g
	c.level = l
	return &c
}

func (g *gormLogger) Info(ctx context.Context, msg string, args ...any) {
	if g.level >= gormlogger.Info {
		g.log.InfoContext(ctx, fmt.Sprintf(msg, args...))
	}
}

func (g *gormLogger) Warn(ctx context.Context, msg string, args ...any) {
	if g.level >= gormlogger.Warn {
		g.log.WarnContext(ctx, fmt.Sprintf(msg, args...))
	}
}

func (g *gormLogger) Error(ctx context.Context, msg string, args ...any) {
	if g.level >= gormlogger.Error {
		g.log.ErrorContext(ctx, fmt.Sprintf(msg, args...))
	}
}

// ParamsFilter keeps bind parameters out of logged SQL.
func (g *gormLogger) ParamsFilter(_ context.Context, sql string, _ ...any) (string, []any) {
	return sql, nil
}

func (g *gormLogger) Trace(ctx context.Context, begin time.Time, fc func() (string, int64), err error) {
	if g.count.counting() {
		sql, _ := fc()
		g.count.add(sql)
	}
	if g.level <= gormlogger.Silent {
		return
	}
	elapsed := time.Since(begin)
	level := slog.LevelDebug
	msg := "sql"
	switch {
	case err != nil && isDeadlock(err):
		// The server rolled one transaction back to break the cycle; a
		// group commit makes its writes again one by one, others return
		// the error to their caller.
		if g.level < gormlogger.Warn {
			return
		}
		level, msg = slog.LevelWarn, "sql deadlock"
	case err != nil && !isNotFound(err) && !isCtxErr(err) && !isDuplicate(err) && !isFKViolation(err):
		if g.level < gormlogger.Error {
			return
		}
		level, msg = slog.LevelError, "sql failed"
	case g.slow > 0 && elapsed > g.slow:
		if g.level < gormlogger.Warn {
			return
		}
		level, msg = slog.LevelWarn, "slow sql"
	}
	if !g.log.Enabled(ctx, level) {
		return
	}
	sql, rows := fc()
	// Without bind values gorm's PostgreSQL renderer leaves "$1$"; show "$1".
	sql = pgPlaceholder.ReplaceAllString(sql, "$$$1")
	attrs := []any{"elapsed", elapsed, "sql", sql}
	if rows >= 0 {
		attrs = append(attrs, "rows", rows)
	}
	if err != nil {
		attrs = append(attrs, "err", err)
	}
	g.log.Log(ctx, level, msg, attrs...)
}

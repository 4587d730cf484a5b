package agentsapi

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/switchyard/switchyard/api"
	"github.com/switchyard/switchyard/store"
)

// DayStore counts the day's queue calls for the wallboard's charts
// (*store.Store implements it).
type DayStore interface {
	QueueCallBuckets(ctx context.Context, accountID int64, from, to time.Time, step time.Duration) ([]store.QueueCallBucket, error)
}

// supervisorDay is the wallboard's charts over the day: the account's
// queue calls per interval (step_mins, default 15) from `from` (default:
// 24 hours ago) until now, by outcome.
func (h *handler) supervisorDay(c echo.Context, acct int64) error {
	st, ok := h.d.Store.(DayStore)
	if !ok {
		return errNoACD
	}
	now := time.Now()
	from := now.Add(-24 * time.Hour)
	if v := c.QueryParam("from"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return api.Invalid("from", "an RFC 3339 time, got %q", v)
		}
		if t.After(now) || now.Sub(t) > 7*24*time.Hour {
			return api.Invalid("from", "within the last 7 days")
		}
		from = t
	}
	step := 15 * time.Minute
	if v := c.QueryParam("step_mins"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 240 {
			return api.Invalid("step_mins", "1 to 240, got %q", v)
		}
		step = time.Duration(n) * time.Minute
	}
	to := now
	if !to.After(from) {
		to = from.Add(step)
	}
	b, err := st.QueueCallBuckets(c.Request().Context(), acct, from, to, step)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"step_mins": int(step / time.Minute), "buckets": b})
}

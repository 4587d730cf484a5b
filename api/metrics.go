package api

import (
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metric names, stable for dashboards and alerts.
const (
	MetricLiveCalls       = "switchyard_live_calls"
	MetricARIEvents       = "switchyard_ari_events_total"
	MetricARIReconnects   = "switchyard_ari_reconnects_total"
	MetricStoreLatency    = "switchyard_store_op_duration_seconds"
	MetricHTTPRequests    = "switchyard_http_requests_total"
	MetricHTTPReqDuration = "switchyard_http_request_duration_seconds"
)

// Metrics are the service-level Prometheus metrics. The composition root
// builds one with NewMetrics and hands it (or its fields) to the ARI layer,
// the call code and the store.
type Metrics struct {
	// LiveCalls is the number of calls Switchyard is driving right now.
	LiveCalls prometheus.Gauge
	// ARIEvents counts ARI events received, by event type (label "type",
	// e.g. StasisStart).
	ARIEvents *prometheus.CounterVec
	// ARIReconnects counts ARI websocket reconnects.
	ARIReconnects prometheus.Counter
	// StoreLatency observes store operation latency in seconds, by
	// operation (label "op", e.g. "calls.create").
	StoreLatency *prometheus.HistogramVec
}

// NewMetrics creates the service metrics and registers them with reg. If
// they are already registered with reg (a second NewMetrics on the same
// registry), the registered collectors are reused.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	if reg == nil {
		return nil, errors.New("api: NewMetrics: nil registerer")
	}
	m := &Metrics{
		LiveCalls: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: MetricLiveCalls,
			Help: "Calls currently driven by Switchyard.",
		}),
		ARIEvents: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: MetricARIEvents,
			Help: "ARI events received, by event type.",
		}, []string{"type"}),
		ARIReconnects: prometheus.NewCounter(prometheus.CounterOpts{
			Name: MetricARIReconnects,
			Help: "ARI websocket reconnects.",
		}),
		StoreLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    MetricStoreLatency,
			Help:    "Store operation latency in seconds, by operation.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"op"}),
	}
	var err error
	if m.LiveCalls, err = register(reg, m.LiveCalls); err != nil {
		return nil, err
	}
	if m.ARIEvents, err = register(reg, m.ARIEvents); err != nil {
		return nil, err
	}
	if m.ARIReconnects, err = register(reg, m.ARIReconnects); err != nil {
		return nil, err
	}
	if m.StoreLatency, err = register(reg, m.StoreLatency); err != nil {
		return nil, err
	}
	return m, nil
}

// ObserveStore records the duration of a store operation started at start:
//
//	defer m.ObserveStore("calls.create", time.Now())
func (m *Metrics) ObserveStore(op string, start time.Time) {
	if m == nil {
		return
	}
	m.StoreLatency.WithLabelValues(op).Observe(time.Since(start).Seconds())
}

// StoreOp observes one store operation's latency (store.Options.Observe).
func (m *Metrics) StoreOp(op string, d time.Duration, _ error) {
	if m == nil {
		return
	}
	m.StoreLatency.WithLabelValues(op).Observe(d.Seconds())
}

// AddLiveCalls moves the live calls gauge by delta
// (ari.ManagerHooks.LiveCalls).
func (m *Metrics) AddLiveCalls(delta int) {
	if m == nil {
		return
	}
	m.LiveCalls.Add(float64(delta))
}

// ARIEvent counts one ARI event of the given type.
func (m *Metrics) ARIEvent(eventType string) {
	if m == nil {
		return
	}
	m.ARIEvents.WithLabelValues(eventType).Inc()
}

// NewRegistry returns a dedicated registry with the Go runtime and process
// collectors, to pass to NewMetrics and to Deps.Registerer/Deps.Gatherer.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return reg
}

// register registers c, or returns the collector already registered under
// the same descriptor.
func register[T prometheus.Collector](reg prometheus.Registerer, c T) (T, error) {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(T); ok {
				return existing, nil
			}
		}
		var zero T
		return zero, fmt.Errorf("api: register metric: %w", err)
	}
	return c, nil
}

// httpMetrics instrument the HTTP server itself.
type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newHTTPMetrics(reg prometheus.Registerer) (*httpMetrics, error) {
	h := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: MetricHTTPRequests,
			Help: "HTTP requests served, by method, route and status code.",
		}, []string{"method", "route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    MetricHTTPReqDuration,
			Help:    "HTTP request latency in seconds, by method and route.",
			Buckets: prometheus.DefBuckets,
		}, []string{"method", "route"}),
	}
	var err error
	if h.requests, err = register(reg, h.requests); err != nil {
		return nil, err
	}
	if h.duration, err = register(reg, h.duration); err != nil {
		return nil, err
	}
	return h, nil
}

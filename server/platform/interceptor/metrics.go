package interceptor

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the RPC series exported on /metrics.
type Metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// NewMetrics registers the RPC series on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_rpc_requests_total",
			Help: "RPCs handled, by procedure and result code.",
		}, []string{"procedure", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "switchboard_rpc_duration_seconds",
			Help:    "RPC handling time, by procedure.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2.5, 12),
		}, []string{"procedure"}),
	}
	reg.MustRegister(m.requests, m.duration)
	return m
}

func (m *Metrics) observe(procedure, code string, d time.Duration) {
	if m == nil {
		return
	}
	m.requests.WithLabelValues(procedure, code).Inc()
	m.duration.WithLabelValues(procedure).Observe(d.Seconds())
}

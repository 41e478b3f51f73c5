package meetings

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboardhq/switchboard/server/platform/database"
)

// defaultMaxBacklog is how many stored CDRs may wait to be applied before
// the receiver refuses new batches (the bridges keep them and send them
// again): a slow database slows the bridges' deliveries, never loses them.
const defaultMaxBacklog = 100_000

type metrics struct {
	applyLag prometheus.Histogram
	applied  prometheus.Counter
	busy     prometheus.Counter
}

func (s *Service) registerMetrics(reg prometheus.Registerer) {
	s.metrics = &metrics{
		applyLag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "switchboard_meetings_cdr_apply_lag_seconds",
			Help:    "Time from storing a CDR to applying it to the live meeting model.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}),
		applied: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "switchboard_meetings_cdrs_applied_total", Help: "Stored CDRs applied to the live meeting model.",
		}),
		busy: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "switchboard_meetings_cdr_batches_deferred_total",
			Help: "CDR batches refused with 503 because too many stored CDRs waited to be applied.",
		}),
	}
	if reg == nil {
		return
	}
	reg.MustRegister(s.metrics.applyLag, s.metrics.applied, s.metrics.busy,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "switchboard_meetings_cdr_backlog", Help: "Stored CDRs not yet applied to the live meeting model.",
		}, func() float64 { return float64(s.backlog.Load()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "switchboard_meetings_active", Help: "Active meetings in the live model.",
		}, func() float64 {
			s.mu.RLock()
			defer s.mu.RUnlock()
			return float64(len(s.md.meetings))
		}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "switchboard_meetings_participants", Help: "Participants (call legs) of the active meetings, connected or not.",
		}, func() float64 {
			s.mu.RLock()
			defer s.mu.RUnlock()
			return float64(len(s.md.legs))
		}))
}

// Busy reports whether the receiver should refuse new CDR batches for now
// (503: the bridge keeps them and sends them again), because too many
// stored CDRs wait to be applied.
func (s *Service) Busy() bool {
	if s.backlog.Load() > int64(s.opts.MaxBacklog) {
		s.metrics.busy.Inc()
		return true
	}
	return false
}

// countBacklog sets the backlog from the store (at start).
func (s *Service) countBacklog(ctx context.Context) error {
	n, err := s.db.CdrRecord.Query().Where(notApplied()).Count(ctx)
	if err != nil {
		return database.Translate(err)
	}
	s.backlog.Store(int64(n))
	return nil
}

func (s *Service) observeApplied(received []time.Time) {
	now := time.Now()
	for _, t := range received {
		s.metrics.applyLag.Observe(now.Sub(t).Seconds())
	}
	s.metrics.applied.Add(float64(len(received)))
	s.backlog.Add(-int64(len(received)))
}

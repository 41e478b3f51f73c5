// Package jobs is the registry of Switchboard's background work (connection
// monitoring, licence usage collection, LDAP sync, retention purges). Each
// job has a name, a schedule, a timeout and a body that is a plain domain
// method; the registry runs it on schedule (robfig/cron, UTC unless the
// schedule names a zone), never twice at once, recovers panics, records the
// outcome, and lets an administrator list jobs and run one now.
package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/robfig/cron/v3"
)

// Func is a job body. It returns a one-line summary for administrators
// ("3 bridges polled") or an error; a job that fails must say so.
type Func func(ctx context.Context) (summary string, err error)

// Job describes one unit of background work.
type Job struct {
	// Name is unique and stable, e.g. "bridge-monitor/London-1".
	Name        string
	Description string
	// Schedule is a cron spec (five fields, optionally prefixed with
	// CRON_TZ=Zone) or a descriptor such as "@every 30s" or "@daily".
	// Empty means the job only runs on demand.
	Schedule string
	// Timeout bounds one run; zero means DefaultTimeout.
	Timeout time.Duration
	Run     Func
}

// DefaultTimeout bounds a run whose job sets no timeout.
const DefaultTimeout = 5 * time.Minute

// Status is what administrators see of a job.
type Status struct {
	Name, Description, Schedule string
	Running                     bool
	LastStart, LastEnd          time.Time
	// LastError is empty when the last run succeeded.
	LastError   string
	LastSummary string
	NextRun     time.Time
	Runs        int
	Failures    int
}

// Errors returned by RunNow and Register.
var (
	ErrUnknownJob     = errors.New("no such job")
	ErrAlreadyRunning = errors.New("the job is already running")
	ErrDuplicate      = errors.New("a job with this name is already registered")
	ErrStopped        = errors.New("the job registry has stopped")
)

type entry struct {
	job      Job
	schedule cron.Schedule
	cronID   cron.EntryID
	status   Status
}

// Registry holds and runs the jobs.
type Registry struct {
	log     *slog.Logger
	now     func() time.Time
	cron    *cron.Cron
	parser  cron.Parser
	metrics *metrics

	mu      sync.Mutex
	entries map[string]*entry
	ctx     context.Context // cancelled by Stop
	cancel  context.CancelFunc
	running sync.WaitGroup
}

// New returns a registry; register jobs, then Start it.
func New(log *slog.Logger, reg prometheus.Registerer) *Registry {
	ctx, cancel := context.WithCancel(context.Background())
	parser := cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)
	return &Registry{
		log:     log,
		now:     time.Now,
		cron:    cron.New(cron.WithLocation(time.UTC), cron.WithParser(parser)),
		parser:  parser,
		metrics: newMetrics(reg),
		entries: map[string]*entry{},
		ctx:     ctx,
		cancel:  cancel,
	}
}

// Register adds a job. It may be called before or after Start.
func (r *Registry) Register(j Job) error {
	if j.Name == "" || j.Run == nil {
		return errors.New("jobs: a job needs a name and a body")
	}
	if j.Timeout == 0 {
		j.Timeout = DefaultTimeout
	}
	e := &entry{job: j, status: Status{Name: j.Name, Description: j.Description, Schedule: j.Schedule}}
	if j.Schedule != "" {
		s, err := r.parser.Parse(j.Schedule)
		if err != nil {
			return fmt.Errorf("jobs: schedule %q of %s: %w", j.Schedule, j.Name, err)
		}
		e.schedule = s
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.entries[j.Name]; ok {
		return fmt.Errorf("jobs: %s: %w", j.Name, ErrDuplicate)
	}
	r.entries[j.Name] = e
	if e.schedule != nil {
		e.cronID = r.cron.Schedule(e.schedule, cron.FuncJob(func() { _ = r.start(j.Name) }))
	}
	return nil
}

// Unregister removes a job (for example when its bridge is removed). A run
// in progress finishes.
func (r *Registry) Unregister(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if e, ok := r.entries[name]; ok {
		if e.schedule != nil {
			r.cron.Remove(e.cronID)
		}
		delete(r.entries, name)
	}
}

// Start begins running jobs on their schedules.
func (r *Registry) Start() { r.cron.Start() }

// Stop stops scheduling, cancels running jobs and waits for them to return
// or for ctx to end.
func (r *Registry) Stop(ctx context.Context) error {
	<-r.cron.Stop().Done()
	r.cancel()
	done := make(chan struct{})
	go func() { r.running.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// RunNow starts a run of the named job in the background and returns at
// once; the outcome appears in its Status.
func (r *Registry) RunNow(name string) error { return r.start(name) }

// start begins one run unless one is already going: runs never overlap.
func (r *Registry) start(name string) error {
	r.mu.Lock()
	e, ok := r.entries[name]
	switch {
	case !ok:
		r.mu.Unlock()
		return fmt.Errorf("%w: %s", ErrUnknownJob, name)
	case r.ctx.Err() != nil:
		r.mu.Unlock()
		return ErrStopped
	case e.status.Running:
		r.mu.Unlock()
		if r.metrics != nil {
			r.metrics.skipped.WithLabelValues(name).Inc()
		}
		return fmt.Errorf("%w: %s", ErrAlreadyRunning, name)
	}
	e.status.Running = true
	e.status.LastStart = r.now().UTC()
	job := e.job
	r.running.Add(1)
	r.mu.Unlock()

	go func() {
		defer r.running.Done()
		summary, err := r.run(job)
		r.finish(name, summary, err)
	}()
	return nil
}

func (r *Registry) run(job Job) (summary string, err error) {
	ctx, cancel := context.WithTimeout(r.ctx, job.Timeout)
	defer cancel()
	defer func() {
		if v := recover(); v != nil {
			r.log.Error("job panicked", slog.String("job", job.Name), slog.Any("panic", v),
				slog.String("stack", string(debug.Stack())))
			err = fmt.Errorf("panic: %v", v)
		}
	}()
	start := time.Now()
	summary, err = job.Run(ctx)
	if err == nil && ctx.Err() != nil {
		// A body that ignored its deadline and returned nil did not finish
		// its work in time; do not report that as success.
		err = fmt.Errorf("did not finish within %s: %w", job.Timeout, ctx.Err())
	}
	if r.metrics != nil {
		result := "ok"
		if err != nil {
			result = "error"
		}
		r.metrics.runs.WithLabelValues(job.Name, result).Inc()
		r.metrics.duration.WithLabelValues(job.Name).Observe(time.Since(start).Seconds())
	}
	return summary, err
}

func (r *Registry) finish(name, summary string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.entries[name]
	if !ok {
		return // unregistered while running
	}
	e.status.Running = false
	e.status.LastEnd = r.now().UTC()
	e.status.LastSummary = summary
	e.status.Runs++
	e.status.LastError = ""
	if err != nil {
		e.status.Failures++
		e.status.LastError = err.Error()
		r.log.Warn("job failed", slog.String("job", name), slog.Any("error", err))
	} else {
		r.log.Debug("job finished", slog.String("job", name), slog.String("summary", summary))
	}
}

// List returns every job's status, sorted by name.
func (r *Registry) List() []Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Status, 0, len(r.entries))
	for _, e := range r.entries {
		out = append(out, r.statusLocked(e))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Get returns one job's status.
func (r *Registry) Get(name string) (Status, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.entries[name]
	if !ok {
		return Status{}, false
	}
	return r.statusLocked(e), true
}

func (r *Registry) statusLocked(e *entry) Status {
	s := e.status
	if e.schedule != nil {
		s.NextRun = e.schedule.Next(r.now().UTC())
	}
	return s
}

type metrics struct {
	runs     *prometheus.CounterVec
	skipped  *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	if reg == nil {
		return nil
	}
	m := &metrics{
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_job_runs_total", Help: "Background job runs, by job and result.",
		}, []string{"job", "result"}),
		skipped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_job_skipped_total", Help: "Runs not started because the previous run was still going.",
		}, []string{"job"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "switchboard_job_duration_seconds", Help: "Background job run time.",
			Buckets: prometheus.ExponentialBuckets(0.005, 3, 10),
		}, []string{"job"}),
	}
	reg.MustRegister(m.runs, m.skipped, m.duration)
	return m
}

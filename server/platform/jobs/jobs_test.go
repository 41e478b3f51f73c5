package jobs

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

func newRegistry(t *testing.T) *Registry {
	t.Helper()
	r := New(slog.New(slog.NewTextHandler(io.Discard, nil)), prometheus.NewRegistry())
	r.Start()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := r.Stop(ctx); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	return r
}

// waitIdle waits until a job has finished its current run.
func waitIdle(t *testing.T, r *Registry, name string, runs int) Status {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if s, _ := r.Get(name); !s.Running && s.Runs >= runs {
			return s
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("job %s did not finish", name)
	return Status{}
}

func TestRunNowRecordsTheOutcome(t *testing.T) {
	r := newRegistry(t)
	fail := errors.New("bridge unreachable")
	results := []error{nil, fail}
	if err := r.Register(Job{Name: "poll", Description: "poll bridges", Run: func(context.Context) (string, error) {
		err := results[0]
		results = results[1:]
		return "3 bridges polled", err
	}}); err != nil {
		t.Fatal(err)
	}
	if err := r.RunNow("poll"); err != nil {
		t.Fatal(err)
	}
	s := waitIdle(t, r, "poll", 1)
	if s.LastError != "" || s.LastSummary != "3 bridges polled" || s.Failures != 0 || s.LastStart.IsZero() || s.LastEnd.IsZero() {
		t.Fatalf("after success: %+v", s)
	}
	if err := r.RunNow("poll"); err != nil {
		t.Fatal(err)
	}
	s = waitIdle(t, r, "poll", 2)
	if s.LastError != "bridge unreachable" || s.Failures != 1 || s.Runs != 2 {
		t.Fatalf("a failing job must be reported as failed: %+v", s)
	}
}

func TestRunsNeverOverlap(t *testing.T) {
	r := newRegistry(t)
	release := make(chan struct{})
	started := make(chan struct{})
	if err := r.Register(Job{Name: "slow", Run: func(context.Context) (string, error) {
		close(started)
		<-release
		return "", nil
	}}); err != nil {
		t.Fatal(err)
	}
	if err := r.RunNow("slow"); err != nil {
		t.Fatal(err)
	}
	<-started
	if s, _ := r.Get("slow"); !s.Running {
		t.Fatal("status must show the run in progress")
	}
	if err := r.RunNow("slow"); !errors.Is(err, ErrAlreadyRunning) {
		t.Fatalf("second run: want ErrAlreadyRunning, got %v", err)
	}
	close(release)
	waitIdle(t, r, "slow", 1)
}

func TestPanicIsAFailure(t *testing.T) {
	r := newRegistry(t)
	if err := r.Register(Job{Name: "boom", Run: func(context.Context) (string, error) { panic("nil map") }}); err != nil {
		t.Fatal(err)
	}
	_ = r.RunNow("boom")
	s := waitIdle(t, r, "boom", 1)
	if !strings.Contains(s.LastError, "panic: nil map") || s.Failures != 1 {
		t.Fatalf("panic: %+v", s)
	}
}

func TestTimeoutIsAFailureEvenIfTheBodyReturnsNil(t *testing.T) {
	r := newRegistry(t)
	if err := r.Register(Job{Name: "stubborn", Timeout: 10 * time.Millisecond, Run: func(ctx context.Context) (string, error) {
		<-ctx.Done()
		return "done", nil
	}}); err != nil {
		t.Fatal(err)
	}
	_ = r.RunNow("stubborn")
	s := waitIdle(t, r, "stubborn", 1)
	if !strings.Contains(s.LastError, "did not finish within 10ms") {
		t.Fatalf("timeout: %+v", s)
	}
}

func TestRegisterValidates(t *testing.T) {
	r := newRegistry(t)
	noop := func(context.Context) (string, error) { return "", nil }
	if err := r.Register(Job{Name: "x", Schedule: "every minute", Run: noop}); err == nil || !strings.Contains(err.Error(), "every minute") {
		t.Fatalf("bad schedule: %v", err)
	}
	if err := r.Register(Job{Name: "", Run: noop}); err == nil {
		t.Fatal("a job needs a name")
	}
	if err := r.Register(Job{Name: "dup", Run: noop}); err != nil {
		t.Fatal(err)
	}
	if err := r.Register(Job{Name: "dup", Run: noop}); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("duplicate: %v", err)
	}
	if err := r.RunNow("missing"); !errors.Is(err, ErrUnknownJob) {
		t.Fatalf("unknown job: %v", err)
	}
}

func TestNextRunFollowsTheSchedule(t *testing.T) {
	r := newRegistry(t)
	r.now = func() time.Time { return time.Date(2026, 12, 3, 23, 59, 30, 0, time.UTC) }
	noop := func(context.Context) (string, error) { return "", nil }
	for _, j := range []Job{
		{Name: "a-daily", Schedule: "0 0 * * *", Run: noop},
		{Name: "b-every", Schedule: "@every 5m", Run: noop},
		{Name: "c-oslo", Schedule: "CRON_TZ=Europe/Oslo 30 2 * * *", Run: noop},
		{Name: "d-manual", Run: noop},
	} {
		if err := r.Register(j); err != nil {
			t.Fatal(err)
		}
	}
	list := r.List()
	want := map[string]time.Time{
		"a-daily":  time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC),
		"b-every":  time.Date(2026, 12, 4, 0, 4, 30, 0, time.UTC),
		"c-oslo":   time.Date(2026, 12, 4, 1, 30, 0, 0, time.UTC), // 02:30 CET
		"d-manual": {},
	}
	for _, s := range list {
		if !s.NextRun.Equal(want[s.Name]) {
			t.Errorf("%s: next run %v, want %v", s.Name, s.NextRun, want[s.Name])
		}
	}
	if list[0].Name != "a-daily" || len(list) != 4 {
		t.Fatalf("list must be sorted by name: %v", list)
	}
}

func TestStopCancelsRunningJobs(t *testing.T) {
	r := New(slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	r.Start()
	started := make(chan struct{})
	if err := r.Register(Job{Name: "long", Timeout: time.Hour, Run: func(ctx context.Context) (string, error) {
		close(started)
		<-ctx.Done()
		return "", ctx.Err()
	}}); err != nil {
		t.Fatal(err)
	}
	_ = r.RunNow("long")
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := r.Stop(ctx); err != nil {
		t.Fatalf("stop must cancel and wait: %v", err)
	}
	if err := r.RunNow("long"); !errors.Is(err, ErrStopped) {
		t.Fatalf("after stop: %v", err)
	}
}

package licensing_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/licensesample"
	"github.com/switchboardhq/switchboard/server/cms"
	"github.com/switchboardhq/switchboard/server/licensing"
	"github.com/switchboardhq/switchboard/server/platform/database"
	"github.com/switchboardhq/switchboard/server/platform/database/databasetest"
	"github.com/switchboardhq/switchboard/server/platform/jobs"
	"github.com/switchboardhq/switchboard/server/servers"
	cmssim "github.com/switchboardhq/switchboard/sim/cms"
)

const (
	simUser = "admin"
	simPass = "secret"
)

// t0 is off the 5-minute grid: snapshots follow the bridge's own phase.
var t0 = time.Date(2026, 3, 1, 10, 0, 7, 0, time.UTC)

// fakeBridges stands for servers.Service: clusters of simulated bridges,
// reached over real HTTPS with the wire client.
type fakeBridges struct {
	mu       sync.Mutex
	clusters []servers.Cluster
	clients  map[int]*cms.Client
}

func (f *fakeBridges) ListClusters(context.Context) ([]servers.Cluster, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]servers.Cluster(nil), f.clusters...), nil
}

func (f *fakeBridges) Client(_ context.Context, id int) (*cms.Client, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c, ok := f.clients[id]; ok {
		return c, nil
	}
	return nil, fmt.Errorf("no bridge %d", id)
}

type env struct {
	sim     *cmssim.Sim
	clock   *cmssim.ManualClock
	bridges *fakeBridges
	sims    map[int]*cmssim.Bridge // by Switchboard bridge id
	db      *ent.Client
	reg     *jobs.Registry
	col     *licensing.Collector
	nextID  int
}

func newEnv(t *testing.T, db *database.DB) *env {
	t.Helper()
	clock := cmssim.NewManualClock(t0)
	sim := cmssim.New(cmssim.Options{Seed: 1, Clock: clock, PageCaps: map[string]int{"MPLicenseUsage": 100}})
	t.Cleanup(sim.Close)
	e := &env{sim: sim, clock: clock, bridges: &fakeBridges{clients: map[int]*cms.Client{}}, sims: map[int]*cmssim.Bridge{},
		db: db.Ent, reg: jobs.New(slog.New(slog.NewTextHandler(io.Discard, nil)), nil), nextID: 1}
	e.col = licensing.New(db, e.bridges, e.reg, slog.New(slog.NewTextHandler(io.Discard, nil)),
		licensing.Options{Now: clock.Now, NoSchedule: true})
	return e
}

// addCluster adds a simulated cluster of n bridges and returns their ids.
func (e *env) addCluster(t *testing.T, name string, n int, mm bool) []int {
	t.Helper()
	cl, err := e.sim.AddCluster(cmssim.ClusterOptions{Name: name, Bridges: n, Username: simUser, Password: simPass})
	if err != nil {
		t.Fatal(err)
	}
	c := servers.Cluster{ID: len(e.bridges.clusters) + 1, DisplayName: name, MeetingManagement: mm}
	var ids []int
	for _, b := range cl.Bridges {
		client, err := cms.New(cms.Config{Address: b.URL(), Username: simUser, Password: simPass,
			TrustedChain: e.sim.CACertPEM(), Retry: cms.Retry{Base: time.Millisecond, Max: 5 * time.Millisecond}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(client.Close)
		id := e.nextID
		e.nextID++
		e.bridges.mu.Lock()
		e.bridges.clients[id] = client
		e.bridges.mu.Unlock()
		e.sims[id] = b
		c.Bridges = append(c.Bridges, servers.Bridge{ID: id, ClusterID: c.ID})
		ids = append(ids, id)
	}
	e.bridges.mu.Lock()
	e.bridges.clusters = append(e.bridges.clusters, c)
	e.bridges.mu.Unlock()
	return ids
}

func (e *env) collect(t *testing.T, id int) string {
	t.Helper()
	sum, err := e.col.Collect(context.Background(), id)
	if err != nil {
		t.Fatalf("collect %d: %v", id, err)
	}
	return sum
}

func (e *env) stored(t *testing.T, id int) []*ent.LicenseSample {
	t.Helper()
	rows, err := e.db.LicenseSample.Query().Where(licensesample.BridgeID(id)).Order(ent.Asc(licensesample.FieldTime)).All(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// checkContiguous asserts one stored entry per 5 minutes from first to
// last: no interval lost, none twice.
func checkContiguous(t *testing.T, rows []*ent.LicenseSample) {
	t.Helper()
	for i := 1; i < len(rows); i++ {
		if d := rows[i].Time.Sub(rows[i-1].Time); d != cmssim.UsageInterval {
			t.Fatalf("entry %d at %s follows %s by %s", i, rows[i].Time, rows[i-1].Time, d)
		}
	}
}

func busy(at time.Time) cmssim.Usage {
	if at.Hour() >= 9 && at.Hour() < 17 {
		return cmssim.Usage{SMPFull: 2.5, Recording: 1, PMP: 0.25}
	}
	return cmssim.Usage{}
}

// Two days of history are stored in full, values exact; a second run
// stores nothing twice.
func TestCollectBackfillsHistoryOnce(t *testing.T) {
	databasetest.ForEach(t, func(t *testing.T, db *database.DB) {
		e := newEnv(t, db)
		id := e.addCluster(t, "Paris", 1, false)[0] // meeting management off: collected anyway
		b := e.sims[id]
		b.PreloadLicenseUsage("", t0.Add(-48*time.Hour), t0, busy)
		want := b.LicenseUsageLen("")
		if want != 48*12+1 {
			t.Fatalf("simulator holds %d entries", want)
		}
		sum := e.collect(t, id)
		rows := e.stored(t, id)
		if len(rows) != want {
			t.Fatalf("stored %d entries, want %d (%s)", len(rows), want, sum)
		}
		checkContiguous(t, rows)
		for _, r := range rows {
			w := busy(r.Time)
			if !r.Time.Before(t0) {
				w = cmssim.Usage{} // the live snapshot: nothing in progress
			}
			if r.HostID != b.HostID() || r.SmpFull != w.SMPFull || r.Rec != w.Recording || r.Pmp != w.PMP || r.Str != 0 {
				t.Fatalf("entry %+v, want %+v", r, w)
			}
			if _, off := r.Time.Zone(); off != 0 {
				t.Fatalf("time %s not UTC", r.Time)
			}
		}
		sum = e.collect(t, id)
		if n := len(e.stored(t, id)); n != want {
			t.Fatalf("second run: %d entries, want %d", n, want)
		}
		if !strings.Contains(sum, " 0 new") {
			t.Errorf("second run summary %q", sum)
		}
	})
}

// While the bridge is unreachable the runs fail; the first run after it
// is back fetches everything since the last stored entry.
func TestCollectBackfillsAfterOutage(t *testing.T) {
	databasetest.ForEach(t, func(t *testing.T, db *database.DB) {
		e := newEnv(t, db)
		id := e.addCluster(t, "Paris", 1, true)[0]
		b := e.sims[id]
		b.PreloadLicenseUsage("", t0.Add(-6*time.Hour), t0, busy)
		e.collect(t, id)
		before := len(e.stored(t, id))

		if err := b.SetDown(true); err != nil {
			t.Fatal(err)
		}
		for range 36 { // three hours of failing 5-minute runs
			e.clock.Advance(5 * time.Minute)
			if _, err := e.col.Collect(context.Background(), id); err == nil {
				t.Fatal("collect succeeded while the bridge was down")
			}
		}
		if n := len(e.stored(t, id)); n != before {
			t.Fatalf("stored %d entries while down", n)
		}
		if err := b.SetDown(false); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Minute)
		e.collect(t, id)
		rows := e.stored(t, id)
		if want := b.LicenseUsageLen(""); len(rows) != want || want != before+36 {
			t.Fatalf("after the outage: %d entries stored, simulator holds %d, %d before", len(rows), want, before)
		}
		checkContiguous(t, rows)
		if last := rows[len(rows)-1].Time; e.clock.Now().Sub(last) >= cmssim.UsageInterval {
			t.Errorf("last entry %s, now %s", last, e.clock.Now())
		}
	})
}

// A cluster's bin is the sum over its bridges of each one's largest
// sample within the interval; a bridge without a sample adds 0; the
// daily peak is taken after 3-point median smoothing.
func TestUsageBinsTwoBridges(t *testing.T) {
	databasetest.ForEach(t, func(t *testing.T, db *database.DB) {
		e := newEnv(t, db)
		ids := e.addCluster(t, "Paris", 2, true)
		other := e.addCluster(t, "Oslo", 1, true)[0]
		a, b := e.sims[ids[0]], e.sims[ids[1]]
		start := time.Date(2026, 3, 1, 6, 0, 7, 0, time.UTC) // bins start at 06:00
		a.PreloadLicenseUsage("", start, start.Add(time.Hour), func(time.Time) cmssim.Usage { return cmssim.Usage{SMPFull: 2.5} })
		// A second sample of bridge A within the 06:10 interval.
		a.PreloadLicenseUsage("", start.Add(12*time.Minute), start.Add(12*time.Minute+time.Second),
			func(time.Time) cmssim.Usage { return cmssim.Usage{SMPFull: 6} })
		// Bridge B only in the first half hour.
		b.PreloadLicenseUsage("", start, start.Add(30*time.Minute), func(time.Time) cmssim.Usage { return cmssim.Usage{SMPFull: 4, Recording: 1} })
		e.sims[other].PreloadLicenseUsage("", start, start.Add(time.Hour), func(time.Time) cmssim.Usage { return cmssim.Usage{SMPFull: 100} })
		for _, id := range append(ids, other) {
			e.collect(t, id)
		}
		from := time.Date(2026, 3, 1, 6, 0, 0, 0, time.UTC)
		u, err := e.col.Usage(context.Background(), 1, from, from.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if len(u.Bins) != 12 {
			t.Fatalf("%d bins", len(u.Bins))
		}
		for i, bin := range u.Bins {
			want, rec := 2.5+4, 1.0
			switch {
			case i == 2:
				want = 6 + 4
			case i >= 6:
				want, rec = 2.5, 0
			}
			if !bin.Start.Equal(from.Add(time.Duration(i) * 5 * time.Minute)) {
				t.Errorf("bin %d starts %s", i, bin.Start)
			}
			if bin.Counts[licensing.TypeSMPFull] != want || bin.Counts[licensing.TypeRecording] != rec || bin.Counts[licensing.TypePMP] != 0 {
				t.Errorf("bin %d (%s): %v, want smpFull %v rec %v", i, bin.Start, bin.Counts, want, rec)
			}
		}
		// The 06:10 spike is a single bin: smoothing suppresses it.
		peaks := u.Peaks[licensing.TypeSMPFull]
		if len(peaks) != 1 || peaks[0].Peak != 6.5 || !peaks[0].Day.Equal(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("peaks %+v", peaks)
		}
		if sp := u.ScaledPeaks[licensing.TypeSMPFull]; len(sp) != 1 || sp[0].Peak != 650 {
			t.Errorf("scaled peaks %+v", sp)
		}
		if p := u.Peaks[licensing.TypeStreaming]; len(p) != 1 || p[0].Peak != 0 {
			t.Errorf("streaming peaks %+v", p)
		}
		// The deployment (cluster 0) adds the other cluster.
		all, err := e.col.Usage(context.Background(), 0, from, from.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if got := all.Bins[0].Counts[licensing.TypeSMPFull]; got != 106.5 {
			t.Errorf("deployment bin %v", got)
		}
		// A range without samples is all zeros, every interval present.
		empty, err := e.col.Usage(context.Background(), 1, from.Add(-24*time.Hour), from.Add(-23*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if len(empty.Bins) != 12 || empty.Bins[5].Counts[licensing.TypeSMPFull] != 0 || len(empty.Peaks[licensing.TypeSMPFull]) != 1 {
			t.Errorf("empty range: %d bins %+v", len(empty.Bins), empty.Peaks)
		}
	})
}

// Samples older than the retention window are deleted by every run (for
// the bridge's host) and by the retention job (for every host).
func TestRetention(t *testing.T) {
	databasetest.ForEach(t, func(t *testing.T, db *database.DB) {
		e := newEnv(t, db)
		id := e.addCluster(t, "Paris", 1, true)[0]
		ctx := context.Background()
		host := e.sims[id].HostID()
		put := func(bridge int, host string, at time.Time) {
			t.Helper()
			if err := e.db.LicenseSample.Create().SetBridgeID(bridge).SetHostID(host).SetTime(at).SetSmpFull(1).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		old, kept := t0.AddDate(0, 0, -100), t0.AddDate(0, 0, -89)
		put(id, host, old)
		put(id, host, kept)
		put(99, "removed-host", old) // a removed bridge's sample
		put(99, "removed-host", kept)
		e.collect(t, id)
		if n, _ := e.db.LicenseSample.Query().Where(licensesample.TimeLT(kept)).Count(ctx); n != 1 {
			t.Fatalf("after a run: %d old samples, want the removed bridge's only", n)
		}
		// The next run starts at the last stored entry: the kept sample at
		// -89 days, so the simulator's whole history since then is read.
		if n := len(e.stored(t, id)); n != 1+e.sims[id].LicenseUsageLen("") {
			t.Errorf("stored %d", n)
		}
		if _, err := e.col.Purge(ctx); err != nil {
			t.Fatal(err)
		}
		if n, _ := e.db.LicenseSample.Query().Where(licensesample.TimeLT(kept)).Count(ctx); n != 0 {
			t.Fatalf("after the purge: %d old samples", n)
		}
		if n, _ := e.db.LicenseSample.Query().Where(licensesample.TimeEQ(kept)).Count(ctx); n != 2 {
			t.Fatalf("samples within 90 days: %d, want 2", n)
		}
	})
}

// Sync keeps a job per bridge, meeting management on or off, and drops
// the jobs of removed bridges.
func TestSyncJobs(t *testing.T) {
	databasetest.ForEach(t, func(t *testing.T, db *database.DB) {
		e := newEnv(t, db)
		ids := e.addCluster(t, "Paris", 2, false)
		ctx := context.Background()
		if err := e.col.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		if err := e.col.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		for _, id := range ids {
			if _, ok := e.reg.Get(licensing.JobName(id)); !ok {
				t.Errorf("no job for bridge %d", id)
			}
		}
		if _, ok := e.reg.Get(licensing.RetentionJob); !ok {
			t.Error("no retention job")
		}
		e.bridges.mu.Lock()
		e.bridges.clusters[0].Bridges = e.bridges.clusters[0].Bridges[:1]
		e.bridges.mu.Unlock()
		if err := e.col.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		if _, ok := e.reg.Get(licensing.JobName(ids[1])); ok {
			t.Error("the removed bridge's job remains")
		}
		if _, ok := e.reg.Get(licensing.JobName(ids[0])); !ok {
			t.Error("the remaining bridge lost its job")
		}
	})
}

// A bridge added to a scheduled collector starts its backfill at once,
// not at the next tick (LI-58): here the schedule is yearly, and its
// history is stored all the same.
func TestSyncStartsFirstBackfill(t *testing.T) {
	databasetest.ForEach(t, func(t *testing.T, db *database.DB) {
		e := newEnv(t, db)
		e.col = licensing.New(db, e.bridges, e.reg, slog.New(slog.NewTextHandler(io.Discard, nil)),
			licensing.Options{Now: e.clock.Now, Schedule: "0 0 1 1 *"})
		ids := e.addCluster(t, "Lyon", 1, false)
		e.sims[ids[0]].PreloadLicenseUsage("", t0.Add(-2*time.Hour), t0, busy)
		if err := e.col.Sync(context.Background()); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(20 * time.Second)
		for len(e.stored(t, ids[0])) < 24 {
			if time.Now().After(deadline) {
				t.Fatalf("first backfill not started: %d samples stored", len(e.stored(t, ids[0])))
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}

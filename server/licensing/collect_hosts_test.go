package licensing_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/ent/licensesample"
	"github.com/switchboardhq/switchboard/server/licensing"
	"github.com/switchboardhq/switchboard/server/platform/database"
	"github.com/switchboardhq/switchboard/server/platform/database/databasetest"
	cmssim "github.com/switchboardhq/switchboard/sim/cms"
)

// Every host of knownHosts is collected, a replaced node's history
// included, each with its own entries; an unknown licence type is stored
// with its value (LI-13).
func TestCollectKnownHostsAndOtherTypes(t *testing.T) {
	databasetest.ForEach(t, func(t *testing.T, db *database.DB) {
		e := newEnv(t, db)
		id := e.addCluster(t, "Paris", 1, true)[0]
		b := e.sims[id]
		b.PreloadLicenseUsage("", t0.Add(-2*time.Hour), t0, func(time.Time) cmssim.Usage {
			return cmssim.Usage{SMPFull: 1, Extra: map[string]float64{"foo": 2.5}}
		})
		// The node this one replaced, whose history the bridge keeps.
		b.PreloadLicenseUsage("old-node", t0.Add(-30*time.Hour), t0.Add(-24*time.Hour), func(time.Time) cmssim.Usage {
			return cmssim.Usage{PMP: 3}
		})
		sum := e.collect(t, id)
		ctx := context.Background()
		old, err := e.db.LicenseSample.Query().Where(licensesample.HostID("old-node")).All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(old) != 6*12 || old[0].Pmp != 3 || old[0].BridgeID != id || old[0].ClusterID != 1 {
			t.Fatalf("old node: %d entries (%s), first %+v", len(old), sum, old[0])
		}
		own, err := e.db.LicenseSample.Query().Where(licensesample.HostID(b.HostID()), licensesample.TimeLT(t0)).All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(own) != 24 || own[0].Extra["foo"] != 2.5 || own[0].SmpFull != 1 {
			t.Fatalf("own host: %d entries, first %+v", len(own), own[0])
		}
		// The live snapshot at t0 has no other type: no JSON stored.
		live, err := e.db.LicenseSample.Query().Where(licensesample.HostID(b.HostID()), licensesample.TimeGTE(t0)).Only(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if live.Extra != nil {
			t.Errorf("live snapshot extra %v", live.Extra)
		}
		// A second run reads each host from its last entry.
		if n := e.db.LicenseSample.Query().CountX(ctx); n != 6*12+25 {
			t.Fatalf("%d samples", n)
		}
		e.collect(t, id)
		if n := e.db.LicenseSample.Query().CountX(ctx); n != 6*12+25 {
			t.Fatalf("second run: %d samples", n)
		}
		// The other type and the SMP Plus sum reach the usage.
		u, err := e.col.Usage(ctx, 1, t0.Add(-time.Hour), t0)
		if err != nil {
			t.Fatal(err)
		}
		if got := u.Bins[0].Counts["foo"]; got != 2.5 {
			t.Errorf("foo bin %v (types %v)", got, u.Types)
		}
		if got := u.Peaks[licensing.TypeSMPPlus]; len(got) != 1 || got[0].Peak != 1 {
			t.Errorf("smpPlus peaks %+v", got)
		}
	})
}

// A sample keeps the cluster its bridge was in when it was read: the
// cluster's usage still counts a bridge removed since (LI-21), and moving
// a bridge to another cluster does not move its history.
func TestUsageBySampleCluster(t *testing.T) {
	databasetest.ForEach(t, func(t *testing.T, db *database.DB) {
		e := newEnv(t, db)
		ids := e.addCluster(t, "Paris", 2, true)
		start := time.Date(2026, 3, 1, 6, 0, 7, 0, time.UTC)
		for i, id := range ids {
			v := float64(3 + i) // A = 3, B = 4
			e.sims[id].PreloadLicenseUsage("", start, start.Add(time.Hour), func(time.Time) cmssim.Usage {
				return cmssim.Usage{SMPAudio: 1, SMPFull: v}
			})
			e.collect(t, id)
		}
		// Bridge B leaves the cluster (removed, or moved to cluster 2).
		e.bridges.mu.Lock()
		e.bridges.clusters[0].Bridges = e.bridges.clusters[0].Bridges[:1]
		e.bridges.mu.Unlock()
		ctx := context.Background()
		from := time.Date(2026, 3, 1, 6, 0, 0, 0, time.UTC)
		u, err := e.col.Usage(ctx, 1, from, from.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if got := u.Bins[0].Counts[licensing.TypeSMPFull]; got != 7 {
			t.Errorf("cluster bin %v, want 7 with the removed bridge's history", got)
		}
		if got := u.Bins[0].Counts[licensing.TypeSMPPlus]; got != 9 {
			t.Errorf("smpPlus bin %v, want (1+3)+(1+4)", got)
		}
		if n, _ := e.db.LicenseSample.Query().Where(licensesample.ClusterID(1)).Count(ctx); n != 2*13 { // 12 preloaded and the live one each
			t.Errorf("%d samples stored with cluster 1", n)
		}
	})
}

// The backfill flag (LI-58): set for a new bridge until its first run
// succeeds, not set for a bridge whose history is recent (a restart),
// and set while a run catches up after an outage.
func TestBackfillInProgress(t *testing.T) {
	databasetest.ForEach(t, func(t *testing.T, db *database.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		if err := e.col.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		if e.col.BackfillInProgress() {
			t.Fatal("in progress without bridges")
		}
		id := e.addCluster(t, "Paris", 1, true)[0]
		b := e.sims[id]
		b.PreloadLicenseUsage("", t0.Add(-24*time.Hour), t0, busy)
		if err := e.col.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		if !e.col.BackfillInProgress() || len(e.col.Backfilling()) != 1 {
			t.Fatalf("new bridge: backfilling %v", e.col.Backfilling())
		}
		// A failed first run leaves the history missing.
		if err := b.SetDown(true); err != nil {
			t.Fatal(err)
		}
		if _, err := e.col.Collect(ctx, id); err == nil {
			t.Fatal("collect succeeded while down")
		}
		if !e.col.BackfillInProgress() {
			t.Fatal("a failed first run cleared the flag")
		}
		if err := b.SetDown(false); err != nil {
			t.Fatal(err)
		}
		e.collect(t, id)
		if e.col.BackfillInProgress() {
			t.Fatal("still in progress after the backfill")
		}

		// A restart: a new collector over the same, recent data.
		again := licensing.New(db, e.bridges, e.reg, slog.New(slog.DiscardHandler), licensing.Options{Now: e.clock.Now, NoSchedule: true})
		if err := again.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		if again.BackfillInProgress() {
			t.Fatal("a restart over recent history reports a backfill")
		}

		// Three hours later (an outage of the collector), the catch-up
		// run is a backfill while it lasts.
		e.clock.Advance(3 * time.Hour)
		b.SetLatency(100 * time.Millisecond)
		done := make(chan error, 1)
		go func() { _, err := e.col.Collect(ctx, id); done <- err }()
		seen := false
		for !seen {
			select {
			case err := <-done:
				t.Fatalf("the catch-up ended (%v) without showing as a backfill", err)
			case <-time.After(5 * time.Millisecond):
				seen = e.col.BackfillInProgress()
			}
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if e.col.BackfillInProgress() {
			t.Fatal("still in progress after the catch-up")
		}
	})
}

// The deployment's bins read the table in storage order, which is time
// order per host as the collector stores it; a history stored backwards
// (PostgreSQL may move an updated row) is read again, sorted, with the
// same result.
func TestUsageOutOfStorageOrder(t *testing.T) {
	databasetest.ForEach(t, func(t *testing.T, db *database.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		from := time.Date(2026, 3, 1, 6, 0, 0, 0, time.UTC)
		// Host x: 2 then 6 within 06:00, then 3 at 06:05, stored newest first.
		for _, s := range []struct {
			at time.Duration
			v  float64
		}{{5 * time.Minute, 3}, {4 * time.Minute, 6}, {time.Minute, 2}} {
			if err := e.db.LicenseSample.Create().SetBridgeID(1).SetClusterID(1).SetHostID("x").
				SetTime(from.Add(s.at)).SetSmpFull(s.v).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		u, err := e.col.Usage(ctx, 0, from, from.Add(15*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if got := []float64{u.Bins[0].Counts[licensing.TypeSMPFull], u.Bins[1].Counts[licensing.TypeSMPFull], u.Bins[2].Counts[licensing.TypeSMPFull]}; got[0] != 6 || got[1] != 3 || got[2] != 0 {
			t.Fatalf("bins %v, want 6 3 0", got)
		}
	})
}

package licensing_test

import (
	"context"
	"log/slog"
	"reflect"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/server/licensing"
	"github.com/switchboardhq/switchboard/server/licensing/compliance"
	"github.com/switchboardhq/switchboard/server/platform/database/databasetest"
	"github.com/switchboardhq/switchboard/server/platform/jobs"
)

// WindowPeaks gives the peaks of Usage over the whole window, from any
// clock position (just after midnight, mid-day), per cluster and for the
// deployment, and again after a sample arrives for an older day (a
// backfill) or another instance's collection: the cache never serves
// stale peaks.
func TestWindowPeaksMatchUsage(t *testing.T) {
	for _, d := range databasetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := databasetest.Open(t, d)
			log := slog.New(slog.DiscardHandler)
			col := licensing.New(db, &fakeBridges{}, jobs.New(log, nil), log, licensing.Options{})
			day0 := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
			add := func(bridge, cluster int, at time.Time, pmp, smp float64) {
				t.Helper()
				if err := db.Ent.LicenseSample.Create().SetBridgeID(bridge).SetClusterID(cluster).SetHostID("h" + string(rune('0'+bridge))).
					SetTime(at).SetPmp(pmp).SetSmpFull(smp).Exec(ctx); err != nil {
					t.Fatal(err)
				}
			}
			// Six days of use around midnight and mid-day, so that the
			// smoothing crosses every split the cache makes.
			for day := range 6 {
				base := day0.AddDate(0, 0, day)
				for i, v := range []float64{4, 9, 9, 2} {
					add(1, 1, base.Add(-10*time.Minute+time.Duration(i)*5*time.Minute), v+float64(day), 1)
					add(2, 2, base.Add(12*time.Hour+time.Duration(i)*5*time.Minute), 2*v, float64(day))
				}
				add(2, 2, base.Add(13*time.Hour), 50, 50) // an isolated spike
			}
			check := func(now time.Time) {
				t.Helper()
				for _, cluster := range []int{0, 1, 2} {
					got, err := col.WindowPeaks(ctx, cluster, now)
					if err != nil {
						t.Fatal(err)
					}
					start := compliance.WindowStart(now)
					u, err := col.Usage(ctx, cluster, start, now)
					if err != nil {
						t.Fatal(err)
					}
					for _, typ := range []string{licensing.TypePMP, licensing.TypeSMPPlus, licensing.TypeRecording} {
						if !reflect.DeepEqual(got[typ], u.ScaledPeaks[typ]) {
							t.Fatalf("now %v, cluster %d, %s:\n cached %v\n whole  %v", now, cluster, typ, got[typ], u.ScaledPeaks[typ])
						}
					}
				}
			}
			for _, now := range []time.Time{
				day0.AddDate(0, 0, 3).Add(2 * time.Minute), // just after midnight
				day0.AddDate(0, 0, 3).Add(12*time.Hour + 7*time.Minute),
				day0.AddDate(0, 0, 3).Add(12*time.Hour + 7*time.Minute), // served from the cache
				day0.AddDate(0, 0, 5).Add(23 * time.Hour),
			} {
				check(now)
			}
			// A backfilled sample three days back changes that day's peak.
			now := day0.AddDate(0, 0, 5).Add(23 * time.Hour)
			for i := range 3 {
				add(1, 1, day0.AddDate(0, 0, 2).Add(8*time.Hour+time.Duration(i)*5*time.Minute), 70, 0)
			}
			check(now)
		})
	}
}

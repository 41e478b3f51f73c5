package licensing_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/server/licensing"
	"github.com/switchboardhq/switchboard/server/licensing/compliance"
	"github.com/switchboardhq/switchboard/server/platform/database"
	"github.com/switchboardhq/switchboard/server/platform/database/databasetest"
	"github.com/switchboardhq/switchboard/server/platform/jobs"
	"github.com/switchboardhq/switchboard/server/servers"
)

// The load: 24 bridges (4 clusters of 6) × 90 days of 5-minute
// samples, 622,080 rows.
const (
	benchBridges  = 24
	benchClusters = 4
	benchDays     = 90
)

// seed bulk-inserts the load, 500 rows a statement in one transaction,
// and returns the time just after the last sample.
func seed(b *testing.B, db *database.DB) time.Time {
	b.Helper()
	ctx := context.Background()
	end := time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC)
	start := end.AddDate(0, 0, -benchDays)
	tx, err := db.SQL.BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	const cols = 11
	const per = 500
	var q strings.Builder
	args := make([]any, 0, per*cols)
	n := 0
	flush := func() {
		if len(args) == 0 {
			return
		}
		q.Reset()
		q.WriteString("INSERT INTO license_samples (bridge_id, cluster_id, host_id, time, pmp, pmp_assigned, smp_aud, smp_ptp, smp_full, rec, str) VALUES ")
		for i := range len(args) / cols {
			if i > 0 {
				q.WriteByte(',')
			}
			q.WriteByte('(')
			for k := range cols {
				if k > 0 {
					q.WriteByte(',')
				}
				if db.Dialect == database.DialectPostgres {
					fmt.Fprintf(&q, "$%d", i*cols+k+1)
				} else {
					q.WriteByte('?')
				}
			}
			q.WriteByte(')')
		}
		if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
			b.Fatal(err)
		}
		args = args[:0]
	}
	for t := start; t.Before(end); t = t.Add(5 * time.Minute) {
		for h := range benchBridges {
			i := int(t.Sub(start) / (5 * time.Minute))
			v := func(k int) float64 { return float64((i*3+h*5+k)%40) / 4 }
			args = append(args, h+1, h%benchClusters+1, fmt.Sprintf("cb%02d", h), t.Add(time.Duration(h)*time.Second),
				v(0), 10.0, v(1)/4, v(2)/2, v(3), float64((i+h)%3), float64((i+h)%5/4))
			n++
			if len(args) == per*cols {
				flush()
			}
		}
	}
	flush()
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	if n != benchBridges*benchDays*288 {
		b.Fatalf("seeded %d", n)
	}
	if db.Dialect == database.DialectPostgres {
		if _, err := db.SQL.ExecContext(ctx, "ANALYZE license_samples"); err != nil {
			b.Fatal(err)
		}
	}
	return end
}

// peakHeap samples the live heap every millisecond while fn runs and
// returns its peak above the heap before fn.
func peakHeap(fn func()) uint64 {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 { metrics.Read(sample); return sample[0].Value.Uint64() }
	runtime.GC()
	base := read()
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			if v := read(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	fn()
	close(stop)
	<-done
	if v := read(); v > peak.Load() {
		peak.Store(v)
	}
	if p := peak.Load(); p > base {
		return p - base
	}
	return 0
}

// BenchmarkLicensing90Days24Bridges measures, on each dialect, the
// 90-day report of the deployment (streamed to io.Discard) and the
// 90-day daily peaks of the status (Usage of the deployment over 90 UTC
// days). peak-heap-MB is the largest live heap above the starting one.
//
//	go test -run '^$' -bench Licensing90Days -benchtime 5x ./server/licensing/
func BenchmarkLicensing90Days24Bridges(b *testing.B) {
	for _, d := range databasetest.Dialects() {
		b.Run(d, func(b *testing.B) {
			db := databasetest.Open(b, d)
			t0 := time.Now()
			end := seed(b, db)
			b.Logf("%s: seeded %d samples in %v", d, benchBridges*benchDays*288, time.Since(t0).Round(time.Millisecond))
			fb := &fakeBridges{}
			for c := range benchClusters {
				cl := servers.Cluster{ID: c + 1}
				for h := c; h < benchBridges; h += benchClusters {
					cl.Bridges = append(cl.Bridges, servers.Bridge{ID: h + 1, ClusterID: c + 1})
				}
				fb.clusters = append(fb.clusters, cl)
			}
			log := slog.New(slog.DiscardHandler)
			col := licensing.New(db, fb, jobs.New(log, nil), log, licensing.Options{Now: func() time.Time { return end }})
			now := end.Add(-time.Second) // the report's 90 days: the seeded ones
			ctx := context.Background()

			b.Run("report", func(b *testing.B) {
				var peak uint64
				var size int64
				b.ReportAllocs()
				for b.Loop() {
					peak = max(peak, peakHeap(func() {
						w := &countingWriter{}
						if err := col.WriteReport(ctx, w, 0, now, nil); err != nil {
							b.Fatal(err)
						}
						size = w.n
					}))
				}
				b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
				b.ReportMetric(float64(size)/(1<<20), "zip-MB")
			})
			b.Run("usage", func(b *testing.B) {
				var peak uint64
				from := end.AddDate(0, 0, -benchDays)
				b.ReportAllocs()
				for b.Loop() {
					peak = max(peak, peakHeap(func() {
						u, err := col.Usage(ctx, 0, from, end)
						if err != nil {
							b.Fatal(err)
						}
						if len(u.ScaledPeaks[licensing.TypeSMPPlus]) != benchDays {
							b.Fatalf("%d days", len(u.ScaledPeaks[licensing.TypeSMPPlus]))
						}
					}))
				}
				b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
			})
			// The status's evaluation every 5 minutes: the older days'
			// peaks come from the cache (filled by the first call, outside
			// the loop), the last two days are read.
			b.Run("status", func(b *testing.B) {
				if _, err := col.WindowPeaks(ctx, 0, now); err != nil {
					b.Fatal(err)
				}
				var peak uint64
				b.ReportAllocs()
				for b.Loop() {
					peak = max(peak, peakHeap(func() {
						ps, err := col.WindowPeaks(ctx, 0, now)
						if err != nil {
							b.Fatal(err)
						}
						if len(ps[licensing.TypeSMPPlus]) != compliance.Window {
							b.Fatalf("%d days", len(ps[licensing.TypeSMPPlus]))
						}
					}))
				}
				b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
			})
		})
	}
}

type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

var _ io.Writer = (*countingWriter)(nil)

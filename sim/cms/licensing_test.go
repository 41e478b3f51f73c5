package cmssim

import (
	"runtime"
	"strings"
	"testing"
	"time"
	"unsafe"
)

var licT0 = time.Date(2026, 3, 1, 10, 0, 7, 0, time.UTC)

// A snapshot shows the state at its instant even when nobody reads the
// usage in between: changes take the snapshots due before them.
func TestLicenseUsageSnapshotsAtTheirInstant(t *testing.T) {
	clock := NewManualClock(licT0)
	s := newSim(t, Options{Clock: clock})
	cl := addCluster(t, s, ClusterOptions{Name: "Oslo"})
	b := cl.Bridges[0]
	clock.Set(licT0.Add(time.Minute))
	c, err := b.StartCall(CallOptions{Name: "adhoc"})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"a", "b", "c"} {
		if _, err := b.Join(c.ID, LegOptions{Name: n}); err != nil {
			t.Fatal(err)
		}
	}
	clock.Set(licT0.Add(7 * time.Minute))
	if err := b.EndCall(c.ID); err != nil {
		t.Fatal(err)
	}
	clock.Set(licT0.Add(20 * time.Minute))
	body := string(newAPI(t, s, b).get("/system/MPLicenseUsage?limit=100").mustOKBody(t))
	want := `<MPLicenseUsage total="5"><entry time="2026-03-01T10:00:07Z"/>` +
		`<entry time="2026-03-01T10:05:07Z"><smpFull>1.00</smpFull></entry>` +
		`<entry time="2026-03-01T10:10:07Z"/><entry time="2026-03-01T10:15:07Z"/><entry time="2026-03-01T10:20:07Z"/></MPLicenseUsage>`
	if !strings.Contains(body, want) {
		t.Errorf("usage:\n%s\nwant\n%s", body, want)
	}

	// A point-to-point call and a restart: calls dropped, usage idle.
	p2p, _ := b.StartCall(CallOptions{Name: "p2p"})
	_, _ = b.Join(p2p.ID, LegOptions{Name: "x"})
	_, _ = b.Join(p2p.ID, LegOptions{Name: "y"})
	clock.Advance(5 * time.Minute)
	if err := b.Restart(); err != nil {
		t.Fatal(err)
	}
	clock.Advance(5 * time.Minute)
	body = string(newAPI(t, s, b).get("/system/MPLicenseUsage?startTime=2026-03-01T10:25:00Z").mustOKBody(t))
	want = `<MPLicenseUsage total="2"><entry time="2026-03-01T10:25:07Z"><smpPtP>1.00</smpPtP></entry><entry time="2026-03-01T10:30:07Z"/></MPLicenseUsage>`
	if !strings.Contains(body, want) {
		t.Errorf("after restart:\n%s\nwant\n%s", body, want)
	}
	if got := newAPI(t, s, b).get("/system/MPLicenseUsage?endTime=soon"); got.status != 400 {
		t.Errorf("bad endTime: %d", got.status)
	}
}

func (r reply) mustOKBody(t testing.TB) []byte {
	t.Helper()
	if r.status != 200 {
		t.Fatalf("status %d, body %s", r.status, r.body)
	}
	return r.body
}

func TestPreloadLicenseUsageReplacesOverlap(t *testing.T) {
	clock := NewManualClock(licT0)
	s := newSim(t, Options{Clock: clock})
	b := addCluster(t, s, ClusterOptions{Name: "Rome"}).Bridges[0]
	from := licT0.Add(-time.Hour)
	b.PreloadLicenseUsage("", from, licT0, func(time.Time) Usage { return Usage{SMPFull: 1} })
	b.PreloadLicenseUsage("", from.Add(10*time.Minute), from.Add(20*time.Minute), nil)
	if n := b.LicenseUsageLen(""); n != 12+1 {
		t.Fatalf("%d entries", n)
	}
	body := string(newAPI(t, s, b).get("/system/MPLicenseUsage?limit=4").mustOKBody(t))
	want := `<MPLicenseUsage total="13"><entry time="2026-03-01T09:00:07Z"><smpFull>1.00</smpFull></entry>` +
		`<entry time="2026-03-01T09:05:07Z"><smpFull>1.00</smpFull></entry><entry time="2026-03-01T09:10:07Z"/><entry time="2026-03-01T09:15:07Z"/></MPLicenseUsage>`
	if !strings.Contains(body, want) {
		t.Errorf("usage:\n%s\nwant\n%s", body, want)
	}
	// History preloaded past the present moves the next live snapshot on.
	b.PreloadLicenseUsage("", licT0, licT0.Add(time.Hour), nil)
	clock.Advance(time.Hour)
	if n := b.LicenseUsageLen(""); n != 12+12+1 {
		t.Errorf("%d entries after a preload into the future", n)
	}
}

// 24 bridges × 90 days of 5-minute snapshots (622,080 entries) stay small.
func TestPreloadLicenseUsage24Bridges90Days(t *testing.T) {
	if sz := unsafe.Sizeof(usageEntry{}); sz != 40 {
		t.Errorf("usageEntry is %d bytes", sz)
	}
	clock := NewManualClock(licT0)
	s := newSim(t, Options{Clock: clock})
	cl := addCluster(t, s, ClusterOptions{Name: "Big", Bridges: 24})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	for i, b := range cl.Bridges {
		b.PreloadLicenseUsage("", licT0.AddDate(0, 0, -90), licT0, func(at time.Time) Usage {
			return Usage{SMPFull: float64((at.Hour() + i) % 9), Recording: float64(at.Minute() % 2)}
		})
	}
	took := time.Since(start)
	runtime.GC()
	runtime.ReadMemStats(&after)
	total := 0
	for _, b := range cl.Bridges {
		total += b.LicenseUsageLen("") - 1
	}
	if total != 24*90*288 {
		t.Fatalf("%d entries", total)
	}
	grew := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("preload of %d entries: %v, heap +%.1f MB", total, took, float64(grew)/(1<<20))
	if grew > 40<<20 {
		t.Errorf("heap grew %d bytes", grew)
	}
}

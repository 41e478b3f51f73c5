package cmssim

import (
	"io"
	"net/http"
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

// /clusterLicensing/raw stores one text per cluster, shared by its members,
// and the control API preloads office-hours usage and switches licence
// presets.
func TestClusterLicensingRawAndControls(t *testing.T) {
	s := newSim(t, Options{})
	cl := addCluster(t, s, ClusterOptions{Name: "Raw", Bridges: 2})
	a, b := newAPI(t, s, cl.Bridges[0]), newAPI(t, s, cl.Bridges[1])
	if r := a.get("/clusterLicensing/raw"); r.mustOK(t).text("data") != "" {
		t.Fatalf("fresh raw: %s", r.body)
	}
	a.put("/clusterLicensing/raw").failure(t, 400, "parameterError")
	a.put("/clusterLicensing/raw", "data", strings.Repeat("x", maxRawLicensing+1)).failure(t, 400, "parameterError")
	a.put("/clusterLicensing/raw", "data", `{"format":"x"}`).mustOK(t)
	if r := b.get("/clusterLicensing/raw"); r.mustOK(t).text("data") != `{"format":"x"}` {
		t.Fatalf("the other member reads %s", r.body)
	}
	if data, writes := cl.LicensingRaw(); writes != 1 || data != `{"format":"x"}` {
		t.Fatalf("LicensingRaw: %q %d", data, writes)
	}

	addr, err := s.ServeControl("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	post := func(path, body string) (int, string) {
		resp, err := http.Post("http://"+addr+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(data)
	}
	name := cl.Bridges[0].Name()
	if code, body := post("/v1/bridges/"+name+"/license-usage", `{"days":2,"usage":{"PMP":10,"SMPFull":4}}`); code != 200 || !strings.Contains(body, `"snapshots":57`) { // 576 preloaded, and the live one
		t.Fatalf("preload: %d %s", code, body)
	}
	if code, _ := post("/v1/bridges/"+name+"/license-usage", `{"days":100}`); code != 400 {
		t.Fatalf("preload 100 days: %d", code)
	}
	if code, _ := post("/v1/bridges/"+name+"/licensing", `{"preset":"no-activation-key"}`); code != 200 {
		t.Fatalf("preset: %d", code)
	}
	if f := a.get("/system/licensing"); f.mustOK(t).child("features").child("callBridge").text("status") != "noLicense" {
		t.Fatalf("activation key still there: %s", f.body)
	}
	if code, _ := post("/v1/bridges/"+name+"/licensing", `{"preset":"gold"}`); code != 400 {
		t.Fatalf("unknown preset: %d", code)
	}
	resp, err := http.Get("http://" + addr + "/v1/clusters/Raw/licensing-raw")
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(data), `"writes":1`) {
		t.Fatalf("licensing-raw: %s", data)
	}
}

// The office-hours profile is deterministic, peaks mid-day on weekdays and
// is idle at night.
func TestOfficeHoursUsage(t *testing.T) {
	f := OfficeHoursUsage(Usage{PMP: 100, Recording: 5}, 3)
	wed := time.Date(2026, 6, 10, 0, 0, 0, 0, time.UTC)
	if u := f(wed.Add(3 * time.Hour)); u.PMP != 0 || u.Recording != 0 {
		t.Fatalf("night: %+v", u)
	}
	noon := f(wed.Add(12 * time.Hour))
	if noon.PMP < 80 || noon.PMP > 120 || noon.PMP != f(wed.Add(12*time.Hour)).PMP {
		t.Fatalf("noon: %+v", noon)
	}
	if sat := f(wed.AddDate(0, 0, 3).Add(12 * time.Hour)); sat.PMP > 12 {
		t.Fatalf("Saturday noon: %+v", sat)
	}
}

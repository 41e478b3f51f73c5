package cms_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	cmssim "github.com/switchboardhq/switchboard/sim/cms"

	"github.com/switchboardhq/switchboard/server/cms"
)

const usageCap = 50 // the page cap the simulator is given for MPLicenseUsage

// t0 is deliberately not on a 5-minute boundary: snapshots follow the
// bridge's own phase, as the reference's sample (18:44:52Z) shows.
var t0 = time.Date(2026, 3, 1, 10, 0, 7, 0, time.UTC)

type licEnv struct {
	sim   *cmssim.Sim
	cl    *cmssim.Cluster
	clock *cmssim.ManualClock
}

func newLicEnv(t *testing.T, bridges int, caps map[string]int) *licEnv {
	t.Helper()
	clock := cmssim.NewManualClock(t0)
	if caps == nil {
		caps = map[string]int{"MPLicenseUsage": usageCap}
	}
	sim := cmssim.New(cmssim.Options{Seed: 1, Clock: clock, PageCaps: caps})
	t.Cleanup(sim.Close)
	cl, err := sim.AddCluster(cmssim.ClusterOptions{Name: "Paris", Bridges: bridges, Username: simUser, Password: simPass})
	if err != nil {
		t.Fatal(err)
	}
	return &licEnv{sim: sim, cl: cl, clock: clock}
}

func (e *licEnv) client(t *testing.T, i int) *cms.Client {
	t.Helper()
	c, err := cms.New(cms.Config{
		Address: e.cl.Bridges[i].URL(), Username: simUser, Password: simPass,
		TrustedChain: e.sim.CACertPEM(), Retry: cms.Retry{Base: time.Millisecond, Max: 5 * time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func usage(t *testing.T, c *cms.Client, q cms.LicenseUsageQuery) []cms.LicenseUsage {
	t.Helper()
	got, err := cms.Collect(c.LicenseUsage(context.Background(), q))
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// §4: /system/licensing (the node's license file) and /clusterLicensing,
// configurable per bridge: licensed, no license file, no activation key.
func TestContractLicensingFeatures(t *testing.T) {
	e := newLicEnv(t, 2, nil)
	ctx := context.Background()
	c := e.client(t, 0)
	l, err := c.Licensing(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cb := l.Feature("callBridge")
	if cb == nil || cb.Status != cms.LicenseActivated {
		t.Fatalf("callBridge: %+v", cb)
	}
	if d, ok := cb.ExpiryDate(); !ok || !d.Equal(time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("expiry %q", cb.Expiry)
	}
	if f := l.Feature("recording"); f == nil || f.Limit == nil || *f.Limit != 10 {
		t.Errorf("recording: %+v", f)
	}
	if f := l.Feature("branding"); f == nil || f.Level != "multipleBrands" {
		t.Errorf("branding: %+v", f)
	}
	cluster, err := c.ClusterLicensing(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if f := cluster.Feature("recording"); f == nil || f.Status != cms.LicenseActivated {
		t.Errorf("cluster recording: %+v", f)
	} else if d, _ := f.ExpiryDate(); d.After(t0.AddDate(0, 0, 90)) {
		t.Errorf("cluster recording expiry more than 90 days ahead: %s", f.Expiry)
	}

	b1 := e.cl.Bridges[1]
	b1.SetLicensing(b1.Licensing().NoLicenseFile().WithoutActivationKey())
	c1 := e.client(t, 1)
	l1, err := c1.Licensing(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range l1.Features {
		if f.Status != cms.LicenseNoLicense || f.Expiry != "" || f.Limit != nil {
			t.Errorf("no license file: %+v", f)
		}
	}
	cl1, err := c1.ClusterLicensing(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if f := cl1.Feature("callBridge"); f.Status != cms.LicenseNoLicense {
		t.Errorf("missing activation key: %+v", f)
	}
	if f := cl1.Feature("customizations"); f.Status != cms.LicenseActivated {
		t.Errorf("customizations: %+v", f)
	}
	if f, _ := c.Licensing(ctx); f.Feature("callBridge").Status != cms.LicenseActivated {
		t.Error("the other member changed too")
	}
}

// §1.3 and §4: MPLicenseUsage paging with the server's cap, time filters,
// hostId, knownHosts.
func TestContractLicenseUsagePagingAndFilters(t *testing.T) {
	e := newLicEnv(t, 1, nil)
	ctx := context.Background()
	b := e.cl.Bridges[0]
	c := e.client(t, 0)
	from := t0.Add(-24 * time.Hour)
	b.PreloadLicenseUsage("", from, t0, func(at time.Time) cmssim.Usage {
		if at.Hour() >= 9 && at.Hour() < 17 {
			return cmssim.Usage{SMPFull: 2.5, Recording: 1}
		}
		return cmssim.Usage{}
	})
	const n = 24*12 + 1 // the day preloaded, then the live snapshot at t0
	page := func(q string) (total, count int) {
		var p cms.Page[cms.LicenseUsage]
		v, _ := url.ParseQuery(q)
		if err := c.Get(ctx, "system/MPLicenseUsage", v, &p); err != nil {
			t.Fatal(err)
		}
		if p.Total == nil {
			t.Fatalf("%s: no total", q)
		}
		return *p.Total, len(p.Items)
	}
	for q, want := range map[string]int{
		"offset=0&limit=500":  usageCap,
		"offset=0&limit=7":    7,
		"offset=280&limit=50": n - 280,
		"offset=300&limit=10": 0,
		"offset=0":            10,
	} {
		if total, count := page(q); total != n || count != want {
			t.Errorf("%s: total %d, %d entries; want %d, %d", q, total, count, n, want)
		}
	}
	b.ClearRequests()
	all := usage(t, c, cms.LicenseUsageQuery{PageSize: 500})
	if len(all) != n {
		t.Fatalf("iterator: %d entries", len(all))
	}
	reqs := 0
	for _, r := range b.Requests() {
		if strings.HasSuffix(r.Path, "/MPLicenseUsage") {
			reqs++
		}
	}
	if want := (n + usageCap - 1) / usageCap; reqs != want {
		t.Errorf("%d requests, want %d", reqs, want)
	}
	busy := 0
	for i, u := range all {
		if want := from.Add(time.Duration(i) * 5 * time.Minute); !u.Time.Equal(want) {
			t.Fatalf("entry %d at %s, want %s", i, u.Time, want)
		}
		if u.Idle() {
			continue
		}
		busy++
		if u.SMPFull != 2.5 || u.Recording != 1 || u.PMP != 0 {
			t.Errorf("entry %d: %+v", i, u)
		}
	}
	if busy != 8*12 {
		t.Errorf("%d busy entries, want 96", busy)
	}

	// startTime included, endTime excluded.
	win := usage(t, c, cms.LicenseUsageQuery{Start: from.Add(time.Hour), End: from.Add(2 * time.Hour)})
	if len(win) != 12 || !win[0].Time.Equal(from.Add(time.Hour)) || !win[11].Time.Equal(from.Add(2*time.Hour-5*time.Minute)) {
		t.Errorf("window: %d entries %v", len(win), win)
	}
	if got := usage(t, c, cms.LicenseUsageQuery{Start: from.Add(time.Hour + time.Second), End: from.Add(time.Hour + 2*time.Minute)}); len(got) != 0 {
		t.Errorf("a window between snapshots: %v", got)
	}
	if got := usage(t, c, cms.LicenseUsageQuery{Start: t0.Add(-10 * time.Minute), Offset: 1}); len(got) != 2 {
		t.Errorf("start filter with offset: %v", got)
	}
	var p cms.Page[cms.LicenseUsage]
	if err := c.Get(ctx, "system/MPLicenseUsage", url.Values{"startTime": {"yesterday"}}, &p); reason(err) != "parameterError" {
		t.Errorf("bad startTime: %v", err)
	}

	// hostId: the bridge's own history by default; another known host's on
	// request; an unknown host has none.
	st, err := c.SystemStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	const other = "0f0e0d0c-0b0a-4909-8807-060504030201"
	b.PreloadLicenseUsage(other, from, from.Add(50*time.Minute), func(time.Time) cmssim.Usage { return cmssim.Usage{PMP: 1} })
	hosts, err := cms.Collect(c.LicenseKnownHosts(ctx, cms.ListOptions{}))
	if err != nil || len(hosts) != 2 || hosts[0].ID != st.HostID || hosts[1].ID != other {
		t.Fatalf("known hosts %v %v (own %s)", hosts, err, st.HostID)
	}
	if got := usage(t, c, cms.LicenseUsageQuery{HostID: other}); len(got) != 10 || got[0].PMP != 1 {
		t.Errorf("other host: %v", got)
	}
	if got := usage(t, c, cms.LicenseUsageQuery{HostID: st.HostID}); len(got) != n {
		t.Errorf("own host: %d", len(got))
	}
	if got := usage(t, c, cms.LicenseUsageQuery{HostID: "nobody"}); len(got) != 0 {
		t.Errorf("unknown host: %v", got)
	}
}

// §4: a snapshot every 5 minutes of simulated time, following the calls;
// weighted calls split a distributed meeting; idle snapshots are empty.
func TestContractLicenseUsageFollowsCalls(t *testing.T) {
	e := newLicEnv(t, 2, nil)
	ctx := context.Background()
	b0, b1 := e.cl.Bridges[0], e.cl.Bridges[1]
	c0, c1 := e.client(t, 0), e.client(t, 1)
	// The first snapshot is taken when the bridge starts.
	if got := usage(t, c0, cms.LicenseUsageQuery{}); len(got) != 1 || !got[0].Time.Equal(t0) || !got[0].Idle() {
		t.Fatalf("usage at start: %v", got)
	}
	space, err := e.cl.CreateCoSpace(cmssim.CoSpaceOptions{Name: "Board", URI: "board"})
	if err != nil {
		t.Fatal(err)
	}
	call, err := b0.StartCall(cmssim.CallOptions{CoSpace: space})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"Ada", "Bob", "Cy"} {
		if _, err := b0.Join(call.ID, cmssim.LegOptions{Name: n}); err != nil {
			t.Fatal(err)
		}
	}
	if err := b0.SetRecording(call.ID, true); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(5 * time.Minute)
	got := usage(t, c0, cms.LicenseUsageQuery{})
	if len(got) != 2 || !got[1].Time.Equal(t0.Add(5*time.Minute)) || got[1].SMPFull != 1 || got[1].Recording != 1 || !got[0].Idle() {
		t.Fatalf("first snapshot: %+v", got)
	}
	if got := usage(t, c1, cms.LicenseUsageQuery{}); len(got) != 2 || !got[0].Idle() || !got[1].Idle() {
		t.Errorf("idle member: %+v", got)
	}

	// A fourth participant on the other member: 3/4 and 1/4 of one call.
	inst, err := b1.StartCall(cmssim.CallOptions{CoSpace: space})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b1.Join(inst.ID, cmssim.LegOptions{Name: "Dee"}); err != nil {
		t.Fatal(err)
	}
	m0, err := c0.MultipartyLicensing(ctx)
	if err != nil {
		t.Fatal(err)
	}
	m1, err := c1.MultipartyLicensing(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if m0.CallsActive != 1 || m0.ParticipantsActive != 3 || m0.WeightedCallsActive != 0.75 || m1.WeightedCallsActive != 0.25 ||
		m0.CallsWithoutPersonalLicense != 1 || m0.WeightedCallsWithoutPersonalLicense != 0.75 {
		t.Errorf("live counters: %+v / %+v", m0, m1)
	}
	if m0.Timestamp == nil || !m0.Timestamp.Equal(t0.Add(5*time.Minute)) || m0.SharedLicenseLimit == nil || *m0.SharedLicenseLimit != 50 {
		t.Errorf("timestamp/limits: %+v", m0)
	}
	e.clock.Advance(5 * time.Minute)
	got0 := usage(t, c0, cms.LicenseUsageQuery{})
	got1 := usage(t, c1, cms.LicenseUsageQuery{})
	if len(got0) != 3 || got0[2].SMPFull != 0.75 || got0[2].Recording != 1 || len(got1) != 3 || got1[2].SMPFull != 0.25 || got1[2].Recording != 0 {
		t.Errorf("distributed snapshot: %+v / %+v", got0, got1)
	}

	// The call ends between snapshots: the next ones are empty.
	e.clock.Advance(2 * time.Minute)
	if err := b0.EndCall(call.ID); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(13 * time.Minute)
	got0 = usage(t, c0, cms.LicenseUsageQuery{})
	if len(got0) != 6 || !got0[3].Idle() || !got0[5].Idle() || !got0[5].Time.Equal(t0.Add(25*time.Minute)) {
		t.Errorf("after the end: %+v", got0)
	}
	var raw cms.Page[cms.LicenseUsage]
	if err := c0.Get(ctx, "system/MPLicenseUsage", url.Values{"offset": {"5"}}, &raw); err != nil || len(raw.Items) != 1 || len(raw.Items[0].Extra) != 0 {
		t.Errorf("idle entry: %+v %v", raw, err)
	}

	// A member of the space with a personal licence: the meeting is PMP.
	if _, err := c0.CreateCoSpaceUser(ctx, space, cms.CoSpaceUserParams{UserJID: cms.Set("ada@example.com")}); err != nil {
		t.Fatal(err)
	}
	lic := b0.Licensing()
	lic.PersonalUsers = []string{"ada@example.com"}
	b0.SetLicensing(lic)
	call, err = b0.StartCall(cmssim.CallOptions{CoSpace: space})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []cmssim.LegOptions{{Name: "Ada", UserJid: "ada@example.com"}, {Name: "Bob"}} {
		if _, err := b0.Join(call.ID, o); err != nil {
			t.Fatal(err)
		}
	}
	adhoc, err := b0.StartCall(cmssim.CallOptions{Name: "p2p"})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"Eve", "Fay"} {
		if _, err := b0.Join(adhoc.ID, cmssim.LegOptions{Name: n}); err != nil {
			t.Fatal(err)
		}
	}
	act, err := cms.Collect(c0.ActivePersonalLicenses(ctx, cms.ListOptions{}))
	if err != nil || len(act) != 1 || act[0].CallsActive != 1 || act[0].WeightedCallsActive != 1 || act[0].ID == "" {
		t.Errorf("active personal licences: %+v %v", act, err)
	}
	e.clock.Advance(5 * time.Minute)
	got0 = usage(t, c0, cms.LicenseUsageQuery{Start: t0.Add(30 * time.Minute)})
	if len(got0) != 1 || got0[0].PMP != 1 || got0[0].PMPAssigned != 1 || got0[0].SMPPointToPoint != 1 || got0[0].SMPFull != 0 {
		t.Errorf("pmp snapshot: %+v", got0)
	}
	m0, err = c0.MultipartyLicensing(ctx)
	if err != nil || m0.PersonalLicenses != 1 || m0.CallsActive != 2 || m0.CallsWithoutPersonalLicense != 1 || m0.Users != 1 {
		t.Errorf("counters with a personal licence: %+v %v", m0, err)
	}
}

// §4: 90 days of history preloaded for one bridge read back whole.
func TestContractLicenseUsagePreload90Days(t *testing.T) {
	e := newLicEnv(t, 1, map[string]int{"MPLicenseUsage": 1000})
	b := e.cl.Bridges[0]
	c := e.client(t, 0)
	from := t0.AddDate(0, 0, -90)
	b.PreloadLicenseUsage("", from, t0, func(at time.Time) cmssim.Usage {
		return cmssim.Usage{SMPFull: float64(at.Hour() % 7), Streaming: float64(at.Weekday() % 2)}
	})
	const n = 90 * 24 * 12
	if got := b.LicenseUsageLen(""); got != n+1 { // and the bridge's own first snapshot, at t0
		t.Fatalf("held %d entries, want %d", got, n+1)
	}
	e.clock.Advance(5 * time.Minute) // one live snapshot follows the history
	all := usage(t, c, cms.LicenseUsageQuery{PageSize: 1000})
	if len(all) != n+2 {
		t.Fatalf("read %d entries, want %d", len(all), n+2)
	}
	var sum float64
	for i, u := range all[:n] {
		if want := from.Add(time.Duration(i) * 5 * time.Minute); !u.Time.Equal(want) {
			t.Fatalf("entry %d at %s", i, u.Time)
		}
		if float64(u.SMPFull) != float64(u.Time.Hour()%7) {
			t.Fatalf("entry %d: %+v", i, u)
		}
		sum += float64(u.SMPFull)
	}
	for i, u := range all[n:] {
		if !u.Time.Equal(t0.Add(time.Duration(i)*5*time.Minute)) || !u.Idle() {
			t.Errorf("live snapshot %d after the history: %+v", i, u)
		}
	}
	if want := float64(90 * 12 * (0 + 1 + 2 + 3 + 4 + 5 + 6 + 0 + 1 + 2 + 3 + 4 + 5 + 6 + 0 + 1 + 2 + 3 + 4 + 5 + 6 + 0 + 1 + 2)); sum != want {
		t.Errorf("sum %v, want %v", sum, want)
	}
}

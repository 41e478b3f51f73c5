package cms_test

// The contract suite states each behaviour of the CMS reference
// (shared/reference/cms-api.md) once and checks it through this package's
// clients against the Call Bridge simulator. A failure here is either a
// client bug or a simulator that disagrees with the reference; which one
// is decided against the reference, never by bending the client.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	cmssim "github.com/switchboardhq/switchboard/sim/cms"

	"github.com/switchboardhq/switchboard/server/cms"
	"github.com/switchboardhq/switchboard/server/cms/cdr"
	"github.com/switchboardhq/switchboard/server/cms/events"
)

const (
	simUser = "admin"
	simPass = "secret"
	coCap   = 10 // the page cap the simulator is given for /coSpaces
)

type env struct {
	sim *cmssim.Sim
	cl  *cmssim.Cluster
}

func newEnv(t *testing.T, bridges int) *env {
	t.Helper()
	sim := cmssim.New(cmssim.Options{Seed: 1, PageCaps: map[string]int{"coSpaces": coCap}, CDRRetryMin: 20 * time.Millisecond, CDRRetryMax: 100 * time.Millisecond})
	t.Cleanup(sim.Close)
	cl, err := sim.AddCluster(cmssim.ClusterOptions{Name: "London", Bridges: bridges, Username: simUser, Password: simPass})
	if err != nil {
		t.Fatal(err)
	}
	return &env{sim: sim, cl: cl}
}

// client returns a verified client of bridge i, with CRL checking.
func (e *env) client(t *testing.T, i int, mod ...func(*cms.Config)) *cms.Client {
	t.Helper()
	cfg := cms.Config{
		Address: e.cl.Bridges[i].URL(), Username: simUser, Password: simPass,
		TrustedChain: e.sim.CACertPEM(), CRL: cms.NewCRLChecker(cms.CRLOptions{}),
		Retry: cms.Retry{Base: time.Millisecond, Max: 5 * time.Millisecond},
	}
	for _, m := range mod {
		m(&cfg)
	}
	c, err := cms.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func reason(err error) string {
	var ae *cms.APIError
	if errors.As(err, &ae) {
		return ae.Reason
	}
	return ""
}

// §1.1, §6: HTTPS with Basic auth on the Web Admin port, verified against
// the trusted chain and the configured address, CRL checked.
func TestContractTrustAndIdentity(t *testing.T) {
	e := newEnv(t, 1)
	c := e.client(t, 0)
	st, err := c.SystemStatus(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !c.TLSVerified() || st.SoftwareVersion == "" || st.HostID == "" {
		t.Errorf("status: %+v (verified %v)", st, c.TLSVerified())
	}
	b := e.cl.Bridges[0]
	b.SetPassword("changed")
	if _, err := c.SystemStatus(context.Background()); !errors.Is(err, cms.ErrBadCredentials) {
		t.Errorf("after a password change: %v", err)
	}
	b.SetPassword(simPass)
	if err := b.RevokeCertificate(); err != nil {
		t.Fatal(err)
	}
	fresh := e.client(t, 0) // a new client: no pooled connection, a fresh CRL cache
	if _, err := fresh.SystemStatus(context.Background()); !errors.Is(err, cms.ErrRevoked) {
		t.Errorf("revoked certificate: %v", err)
	}
}

// §1.2: 404 with a reason code for an unknown id; 503 = busy, retry later.
func TestContractStatusCodes(t *testing.T) {
	e := newEnv(t, 1)
	c := e.client(t, 0)
	ctx := context.Background()
	_, err := c.CoSpace(ctx, "00000000-0000-4000-8000-000000000000")
	if !errors.Is(err, cms.ErrNotFound) || reason(err) != "coSpaceDoesNotExist" {
		t.Errorf("unknown coSpace: %v", err)
	}
	_, err = c.Call(ctx, "00000000-0000-4000-8000-000000000000")
	if !errors.Is(err, cms.ErrNotFound) || reason(err) != "callDoesNotExist" {
		t.Errorf("unknown call: %v", err)
	}
	e.cl.Bridges[0].Fail503(2)
	id, err := c.CreateCoSpace(ctx, cms.CoSpaceParams{Name: cms.Set("after 503"), URI: cms.Set("after503")})
	if err != nil || id == "" {
		t.Errorf("a POST refused with 503 must be retried and succeed once: %q %v", id, err)
	}
	spaces, _ := cms.Collect(c.CoSpaces(ctx, cms.CoSpaceQuery{ListOptions: cms.ListOptions{Filter: "after 503"}}))
	if len(spaces) != 1 {
		t.Errorf("the retried POST must have created exactly one space: %d", len(spaces))
	}
	e.cl.Bridges[0].Fail503(10)
	noRetry := e.client(t, 0, func(c *cms.Config) { c.Retry.Attempts = 2 })
	if _, err := noRetry.SystemStatus(ctx); !errors.Is(err, cms.ErrUnavailable) {
		t.Errorf("persistent 503: %v", err)
	}
}

// §1.3: total counts all matches; each page holds min(limit, cap,
// remaining); offset past total returns nothing; the client knows there is
// more while offset + returned < total.
func TestContractPaginationArithmetic(t *testing.T) {
	e := newEnv(t, 1)
	c := e.client(t, 0)
	ctx := context.Background()
	const n = 25
	for i := range n {
		if _, err := c.CreateCoSpace(ctx, cms.CoSpaceParams{Name: cms.Set(fmt.Sprintf("space %02d", i)), URI: cms.Set(fmt.Sprintf("space%02d", i))}); err != nil {
			t.Fatal(err)
		}
	}
	page := func(q string) (total, count int) {
		var p cms.Page[cms.CoSpace]
		v, _ := url.ParseQuery(q)
		if err := c.Get(ctx, "coSpaces", v, &p); err != nil {
			t.Fatal(err)
		}
		if p.Total == nil {
			t.Fatalf("%s: no total attribute", q)
		}
		return *p.Total, len(p.Items)
	}
	for q, want := range map[string]int{
		"offset=0&limit=50":  coCap,       // capped by the server
		"offset=0&limit=3":   3,           // a smaller limit is honoured
		"offset=20&limit=10": n - 20,      // the remaining ones
		"offset=30&limit=10": 0,           // past total: nothing
		"offset=0":           min(10, n),  // no limit: the default page
		"filter=space 1":     min(10, 10), // total is counted after the filter
	} {
		total, count := page(q)
		wantTotal := n
		if strings.HasPrefix(q, "filter") {
			wantTotal = 10
		}
		if total != wantTotal || count != want {
			t.Errorf("%s: total %d, %d objects; want total %d, %d objects", q, total, count, wantTotal, want)
		}
	}
	all, err := cms.Collect(c.CoSpaces(ctx, cms.CoSpaceQuery{ListOptions: cms.ListOptions{PageSize: 50}}))
	if err != nil || len(all) != n {
		t.Fatalf("iterator: %d spaces, %v", len(all), err)
	}
	seen := map[string]bool{}
	for _, s := range all {
		if seen[s.ID] {
			t.Errorf("%s twice", s.ID)
		}
		seen[s.ID] = true
	}
}

// §1.3: create answers 200 with Location: /api/v1/<collection>/<id>
// (nested for sub-objects; dial-out answers /participants/<id>).
func TestContractLocationIDs(t *testing.T) {
	e := newEnv(t, 1)
	c := e.client(t, 0)
	ctx := context.Background()
	space, err := c.CreateCoSpace(ctx, cms.CoSpaceParams{Name: cms.Set("Weekly sync"), URI: cms.Set("weekly.sync")})
	if err != nil {
		t.Fatal(err)
	}
	if s, err := c.CoSpace(ctx, space); err != nil || s.ID != space || s.Name != "Weekly sync" {
		t.Errorf("coSpace from its Location id: %+v %v", s, err)
	}
	am, err := c.CreateAccessMethod(ctx, space, cms.AccessMethodParams{URI: cms.Set("weekly.guest"), Passcode: cms.Set("1234")})
	if err != nil {
		t.Fatal(err)
	}
	if a, err := c.AccessMethod(ctx, space, am); err != nil || a.URI != "weekly.guest" {
		t.Errorf("accessMethod: %+v %v", a, err)
	}
	member, err := c.CreateCoSpaceUser(ctx, space, cms.CoSpaceUserParams{UserJID: cms.Set("ada@example.com"), CanDestroy: cms.Set(true)})
	if err != nil {
		t.Fatal(err)
	}
	if m, err := c.CoSpaceUser(ctx, space, member); err != nil || m.UserJID != "ada@example.com" {
		t.Errorf("coSpaceUser: %+v %v", m, err)
	}
	prof, err := c.CreateCallLegProfile(ctx, cms.CallLegProfileParams{Name: cms.Set("Lobby"), CallLegSettings: cms.CallLegSettings{NeedsActivation: cms.Set(true)}})
	if err != nil {
		t.Fatal(err)
	}
	if p, err := c.CallLegProfile(ctx, prof); err != nil || p.NeedsActivation == nil || !*p.NeedsActivation {
		t.Errorf("callLegProfile: %+v %v", p, err)
	}
	cp, err := c.CreateCallProfile(ctx, cms.CallProfileParams{ParticipantLimit: cms.Set(50)})
	if err != nil {
		t.Fatal(err)
	}
	if p, err := c.CallProfile(ctx, cp); err != nil || p.ParticipantLimit == nil || *p.ParticipantLimit != 50 {
		t.Errorf("callProfile: %+v %v", p, err)
	}
	call, err := c.CreateCall(ctx, cms.CallParams{CoSpace: cms.Set(space)})
	if err != nil {
		t.Fatal(err)
	}
	if cl, err := c.Call(ctx, call); err != nil || cl.CoSpace != space {
		t.Errorf("call: %+v %v", cl, err)
	}
	part, err := c.AddParticipant(ctx, call, cms.ParticipantParams{RemoteParty: cms.Set("grace@example.com")})
	if err != nil {
		t.Fatal(err)
	}
	if p, err := c.Participant(ctx, part); err != nil || p.Call != call {
		t.Errorf("dial-out participant from its Location id: %+v %v", p, err)
	}
	// The Location headers themselves, as the reference states them.
	for path, want := range map[string]string{
		"/api/v1/calls/" + call + "/participants":      "/api/v1/participants/",
		"/api/v1/coSpaces/" + space + "/accessMethods": "/api/v1/coSpaces/" + space + "/accessMethods/",
		"/api/v1/coSpaces":                             "/api/v1/coSpaces/",
	} {
		form := url.Values{"remoteParty": {"raw@example.com"}, "uri": {"raw" + strconv.Itoa(len(path))}}
		if strings.HasSuffix(path, "coSpaces") || strings.HasSuffix(path, "accessMethods") {
			form.Del("remoteParty")
		} else {
			form.Del("uri")
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, c.BaseURL()+path, strings.NewReader(form.Encode()))
		req.SetBasicAuth(simUser, simPass)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := c.HTTPClient().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc := resp.Header.Get("Location")
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(loc, want) || len(loc) <= len(want) || strings.Contains(loc[len(want):], "/") {
			t.Errorf("POST %s: %d Location %q, want 200 and %s<id>", path, resp.StatusCode, loc, want)
		}
	}
	legs, err := cms.Collect(c.ParticipantCallLegs(ctx, part, cms.ListOptions{}))
	if err != nil || len(legs) != 1 {
		t.Fatalf("legs of the dialled participant: %v %v", legs, err)
	}
	if err := c.DeleteParticipant(ctx, part); err != nil {
		t.Errorf("delete participant: %v", err)
	}
	if err := c.DeleteCall(ctx, call); err != nil {
		t.Errorf("delete call: %v", err)
	}
	if _, err := c.Call(ctx, call); !errors.Is(err, cms.ErrNotFound) {
		t.Errorf("after DELETE: %v", err)
	}
}

// §1.1: PUT — a parameter left out keeps its value, one sent empty is
// cleared, one sent with a value changes.
func TestContractPutOmittedVersusEmpty(t *testing.T) {
	e := newEnv(t, 1)
	c := e.client(t, 0)
	ctx := context.Background()
	id, err := c.CreateCoSpace(ctx, cms.CoSpaceParams{
		Name: cms.Set("Board"), URI: cms.Set("board"), Passcode: cms.Set("4242"), CDRTag: cms.Set("cc-17"), DefaultLayout: cms.Set(cms.LayoutSpeakerOnly),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.UpdateCoSpace(ctx, id, cms.CoSpaceParams{Passcode: cms.Clear[string](), Name: cms.Set("Board room")}); err != nil {
		t.Fatal(err)
	}
	s, err := c.CoSpace(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if s.Passcode != "" || s.Name != "Board room" {
		t.Errorf("sent: passcode cleared, name changed; got passcode %q name %q", s.Passcode, s.Name)
	}
	if s.URI != "board" || s.CDRTag != "cc-17" || s.DefaultLayout != cms.LayoutSpeakerOnly {
		t.Errorf("left out: must keep their values; got %+v", s)
	}
}

// §1.2: the reason codes a client must tell apart.
func TestContractReasonCodes(t *testing.T) {
	e := newEnv(t, 1)
	c := e.client(t, 0)
	ctx := context.Background()
	if _, err := c.CreateCoSpace(ctx, cms.CoSpaceParams{Name: cms.Set("a"), URI: cms.Set("dup")}); err != nil {
		t.Fatal(err)
	}
	_, err := c.CreateCoSpace(ctx, cms.CoSpaceParams{Name: cms.Set("b"), URI: cms.Set("dup")})
	if reason(err) != "duplicateCoSpaceUri" {
		t.Errorf("duplicate uri: %v", err)
	}
	var got error
	for _, err := range c.AccessMethods(ctx, "00000000-0000-4000-8000-000000000000", cms.ListOptions{}) {
		got = err
		break
	}
	if !errors.Is(got, cms.ErrNotFound) || reason(got) != "coSpaceDoesNotExist" {
		t.Errorf("access methods of an unknown space: %v", got)
	}
	_, err = c.CreateCoSpace(ctx, cms.CoSpaceParams{Name: cms.Set("c"), DefaultLayout: cms.Set(cms.Layout("notALayout"))})
	var ae *cms.APIError
	if !errors.As(err, &ae) || ae.Reason != "parameterError" || ae.Parameter != "defaultLayout" {
		t.Errorf("bad layout: %v", err)
	}
}

// §1.13: up to 4 receivers per bridge, the 5th refused with
// tooManyCdrReceivers; the list is per bridge, not cluster-wide.
func TestContractCDRReceiverLimit(t *testing.T) {
	e := newEnv(t, 2)
	c := e.client(t, 0)
	ctx := context.Background()
	for i := range cms.MaxCDRReceivers {
		if _, err := c.CreateCDRReceiver(ctx, fmt.Sprintf("https://receiver%d.example.com/cdr", i)); err != nil {
			t.Fatalf("receiver %d: %v", i+1, err)
		}
	}
	_, err := c.CreateCDRReceiver(ctx, "https://receiver5.example.com/cdr")
	if reason(err) != "tooManyCdrReceivers" {
		t.Errorf("5th receiver: %v", err)
	}
	list, err := c.CDRReceivers(ctx)
	if err != nil || len(list.Receivers) != 4 || list.Maximum != 4 {
		t.Errorf("list: %+v %v", list, err)
	}
	if err := c.UpdateCDRReceiver(ctx, list.Receivers[0].ID, "https://moved.example.com/cdr"); err != nil {
		t.Fatal(err)
	}
	if r, err := c.CDRReceiver(ctx, list.Receivers[0].ID); err != nil || r.URI != "https://moved.example.com/cdr" {
		t.Errorf("updated receiver: %+v %v", r, err)
	}
	if err := c.DeleteCDRReceiver(ctx, list.Receivers[3].ID); err != nil {
		t.Fatal(err)
	}
	other, err := e.client(t, 1).CDRReceivers(ctx)
	if err != nil || len(other.Receivers) != 0 {
		t.Errorf("another member of the cluster must not see these receivers: %+v %v", other, err)
	}
}

// §1.14: the entry of /callBridges whose name equals this bridge's
// uniqueName is the bridge itself; its id is the callBridge of its CDRs.
func TestContractClusterDiscovery(t *testing.T) {
	e := newEnv(t, 3)
	c := e.client(t, 1)
	ctx := context.Background()
	cfg, err := c.ClusterConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	bridges, err := cms.Collect(c.CallBridges(ctx, cms.ListOptions{}))
	if err != nil || len(bridges) != 3 {
		t.Fatalf("callBridges: %v %v", bridges, err)
	}
	var self string
	for _, b := range bridges {
		if b.Name == cfg.UniqueName {
			self = b.ID
		}
		full, err := c.CallBridge(ctx, b.ID)
		if err != nil || full.Address == "" {
			t.Errorf("peer %s: %+v %v", b.Name, full, err)
		}
	}
	if self != e.cl.Bridges[1].ID() {
		t.Errorf("self is %q, want %q", self, e.cl.Bridges[1].ID())
	}
	st, err := c.SystemStatus(ctx)
	if err != nil || st.ClusterEnabled == nil || !*st.ClusterEnabled || st.ClusterID == "" {
		t.Errorf("clustered status: %+v %v", st, err)
	}
}

// cdrSink is a CDR receiver: it decodes every POST with the cdr package,
// answering 500 to the first failFirst posts.
type cdrSink struct {
	t         *testing.T
	srv       *httptest.Server
	mu        sync.Mutex
	records   []*cdr.Record
	posts     int
	failFirst int
}

func newSink(t *testing.T, failFirst int) *cdrSink {
	s := &cdrSink{t: t, failFirst: failFirst}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		defer s.mu.Unlock()
		s.posts++
		if s.posts <= s.failFirst {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		if ct := r.Header.Get("Content-Type"); !strings.Contains(ct, "xml") {
			t.Errorf("CDR POST content type %q", ct)
		}
		d := cdr.NewDecoder(strings.NewReader(string(body)))
		for rec, err := range d.All() {
			if err != nil {
				t.Errorf("CDR batch from the bridge: %v\n%s", err, body)
				continue
			}
			s.records = append(s.records, rec)
		}
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *cdrSink) snapshot() []*cdr.Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*cdr.Record(nil), s.records...)
}

func (s *cdrSink) has(typ cdr.Type) func() bool {
	return func() bool {
		for _, r := range s.snapshot() {
			if r.Type == typ {
				return true
			}
		}
		return false
	}
}

// §3.1–3.3: the envelope carries session and (clustered) callBridge;
// correlatorIndex counts the bridge's records for every receiver alike,
// recordIndex counts per receiver from 1; an unacknowledged batch is sent
// again; /system/status cdrCorrelatorIndex is the next index.
func TestContractCDREnvelopeAndCounters(t *testing.T) {
	e := newEnv(t, 2)
	b := e.cl.Bridges[0]
	c := e.client(t, 0)
	ctx := context.Background()
	first := newSink(t, 1) // refuses its first batch: it must come again
	if _, err := c.CreateCDRReceiver(ctx, first.srv.URL+"/cdr?system_id=sb1"); err != nil {
		t.Fatal(err)
	}
	call, err := b.StartCall(cmssim.CallOptions{Name: "Weekly sync", ActiveWhenEmpty: true})
	if err != nil {
		t.Fatal(err)
	}
	leg, err := b.Join(call.ID, cmssim.LegOptions{Name: "Ada", Remote: "ada@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "callLegStart at the first receiver", first.has(cdr.CallLegStart))

	second := newSink(t, 0) // added later: its recordIndex starts at 1 on a later correlatorIndex
	if _, err := c.CreateCDRReceiver(ctx, second.srv.URL+"/cdr"); err != nil {
		t.Fatal(err)
	}
	if err := b.Leave(leg.ID); err != nil {
		t.Fatal(err)
	}
	if err := b.EndCall(call.ID); err != nil {
		t.Fatal(err)
	}
	eventually(t, "callEnd at both receivers", func() bool { return first.has(cdr.CallEnd)() && second.has(cdr.CallEnd)() })

	recs := first.snapshot()
	first.mu.Lock()
	posts := first.posts
	first.mu.Unlock()
	if posts < 2 {
		t.Errorf("the refused batch was not sent again (%d posts)", posts)
	}
	var types []string
	for i, r := range recs {
		types = append(types, string(r.Type))
		if r.Session != b.CDRSession() || r.CallBridge != b.ID() {
			t.Errorf("record %d envelope: session %q callBridge %q, want %q %q", i, r.Session, r.CallBridge, b.CDRSession(), b.ID())
		}
		if r.RecordIndex != uint64(i+1) {
			t.Errorf("record %d: recordIndex %d, want %d (per receiver, from 1)", i, r.RecordIndex, i+1)
		}
		if i > 0 && r.CorrelatorIndex != recs[i-1].CorrelatorIndex+1 {
			t.Errorf("record %d: correlatorIndex %d after %d", i, r.CorrelatorIndex, recs[i-1].CorrelatorIndex)
		}
		if r.Time.IsZero() || r.Time.Location() != time.UTC {
			t.Errorf("record %d time %v", i, r.Time)
		}
	}
	if types[0] != "callStart" || types[len(types)-1] != "callEnd" {
		t.Errorf("record order: %v", types)
	}
	if cs := recs[0].CallStart; cs == nil || cs.ID != call.ID || cs.Name != "Weekly sync" || cs.CallCorrelator == "" {
		t.Errorf("callStart: %+v", cs)
	}
	// An incoming leg may be placed in its call only by a later
	// callLegUpdate (CDR guide example flow): the call id must be known by
	// the first callLegUpdate at the latest, and never be another call's.
	legCallKnown := false
	for _, r := range recs {
		if r.Type == cdr.CallLegStart && r.CallLegID() != leg.ID {
			t.Errorf("callLegStart leg id %q", r.CallLegID())
		}
		if r.Type == cdr.CallLegStart || r.Type == cdr.CallLegUpdate {
			if id := r.CallID(); id != "" && id != call.ID {
				t.Errorf("%s names call %q, want %q", r.Type, id, call.ID)
			}
			if r.Type == cdr.CallLegUpdate && !legCallKnown && r.CallID() == "" {
				t.Errorf("first callLegUpdate does not name the call")
			}
			legCallKnown = legCallKnown || r.CallID() != ""
		}
		if r.Type == cdr.CallLegEnd && (r.CallLegEnd.Reason == "" || r.CallLegID() != leg.ID) {
			t.Errorf("callLegEnd: %+v", r.CallLegEnd)
		}
	}
	sec := second.snapshot()
	if len(sec) == 0 || sec[0].RecordIndex != 1 {
		t.Fatalf("second receiver: %+v", sec)
	}
	byCorr := map[uint64]cdr.Type{}
	for _, r := range recs {
		byCorr[r.CorrelatorIndex] = r.Type
	}
	for _, r := range sec {
		if byCorr[r.CorrelatorIndex] != r.Type {
			t.Errorf("correlatorIndex %d is %s at the second receiver but %s at the first", r.CorrelatorIndex, r.Type, byCorr[r.CorrelatorIndex])
		}
	}
	if sec[0].CorrelatorIndex == 0 {
		t.Errorf("the later receiver's first record must carry the bridge's running correlatorIndex")
	}
	st, err := c.SystemStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if last := recs[len(recs)-1].CorrelatorIndex; st.CDRCorrelatorIndex == nil || *st.CDRCorrelatorIndex != last+1 {
		t.Errorf("cdrCorrelatorIndex %v, want %d", st.CDRCorrelatorIndex, last+1)
	}
}

// §3.3: callLegStart lists call; an incoming Web app (acano) leg names it
// at start, as in a real capture of such a leg.
func TestContractCDRWebLegStartNamesCall(t *testing.T) {
	e := newEnv(t, 1)
	b := e.cl.Bridges[0]
	c := e.client(t, 0)
	sink := newSink(t, 0)
	if _, err := c.CreateCDRReceiver(context.Background(), sink.srv.URL); err != nil {
		t.Fatal(err)
	}
	call, err := b.StartCall(cmssim.CallOptions{Name: "Web", ActiveWhenEmpty: true})
	if err != nil {
		t.Fatal(err)
	}
	leg, err := b.Join(call.ID, cmssim.LegOptions{Name: "Guest", Guest: true})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "callLegStart", sink.has(cdr.CallLegStart))
	for _, r := range sink.snapshot() {
		if r.Type == cdr.CallLegStart && (r.CallLegID() != leg.ID || r.CallID() != call.ID) {
			t.Errorf("web leg callLegStart: leg %q call %q, want %q %q", r.CallLegID(), r.CallID(), leg.ID, call.ID)
		}
	}
}

// §3.2: a restart regenerates the session.
func TestContractCDRSessionChangesOnRestart(t *testing.T) {
	e := newEnv(t, 1)
	b := e.cl.Bridges[0]
	c := e.client(t, 0)
	sink := newSink(t, 0)
	if _, err := c.CreateCDRReceiver(context.Background(), sink.srv.URL); err != nil {
		t.Fatal(err)
	}
	call, _ := b.StartCall(cmssim.CallOptions{Name: "before"})
	eventually(t, "callStart", sink.has(cdr.CallStart))
	if err := b.Restart(); err != nil {
		t.Fatal(err)
	}
	_ = call
	if _, err := b.StartCall(cmssim.CallOptions{Name: "after"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a record of the new session", func() bool {
		recs := sink.snapshot()
		return len(recs) > 0 && recs[len(recs)-1].Session != recs[0].Session
	})
	recs := sink.snapshot()
	if recs[0].CallBridge != "" {
		t.Errorf("an unclustered bridge's CDRs carry no callBridge: %q", recs[0].CallBridge)
	}
}

// §1.8: PUT /callLegs/<id> with rxAudioMute and chosenLayout changes the
// live leg; PUT /participants/<id> sets importance.
func TestContractLiveLegChanges(t *testing.T) {
	e := newEnv(t, 1)
	b := e.cl.Bridges[0]
	c := e.client(t, 0)
	ctx := context.Background()
	call, _ := b.StartCall(cmssim.CallOptions{Name: "Live"})
	leg, err := b.Join(call.ID, cmssim.LegOptions{Name: "Ada", Remote: "ada@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.UpdateCallLeg(ctx, leg.ID, cms.CallLegUpdate{ChosenLayout: cms.Set(cms.LayoutAllEqual), CallLegSettings: cms.CallLegSettings{RxAudioMute: cms.Set(true)}}); err != nil {
		t.Fatal(err)
	}
	got, err := c.CallLeg(ctx, leg.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Configuration == nil || got.Configuration.RxAudioMute == nil || !*got.Configuration.RxAudioMute || got.Configuration.ChosenLayout != cms.LayoutAllEqual {
		t.Errorf("configuration after PUT: %+v", got.Configuration)
	}
	if got.Status == nil || got.Status.State != "connected" || got.Call != call.ID {
		t.Errorf("status: %+v", got.Status)
	}
	if err := c.UpdateParticipant(ctx, leg.ParticipantID, cms.ParticipantUpdate{Importance: cms.Set(7)}); err != nil {
		t.Fatal(err)
	}
	p, err := c.Participant(ctx, leg.ParticipantID)
	if err != nil || p.Configuration == nil || p.Configuration.Importance == nil || *p.Configuration.Importance != 7 {
		t.Errorf("participant importance: %+v %v", p, err)
	}
	legs, err := cms.Collect(c.CallCallLegs(ctx, call.ID, cms.CallLegQuery{}))
	if err != nil || len(legs) != 1 {
		t.Errorf("legs of the call: %v %v", legs, err)
	}
	// §1.7: GET /calls/<id> carries recordingStatus / streamingStatus
	// (APIARY example) next to the recording / streaming booleans.
	if got, err := c.Call(ctx, call.ID); err != nil || got.RecordingStatus != "inactive" || got.StreamingStatus != "inactive" {
		t.Errorf("call status before recording: %+v %v", got, err)
	}
	if err := c.UpdateCall(ctx, call.ID, cms.CallParams{Recording: cms.Set(true)}); err != nil {
		t.Fatal(err)
	}
	got2, err := c.Call(ctx, call.ID)
	if err != nil || got2.Recording == nil || !*got2.Recording || got2.RecordingStatus != "active" || got2.StreamingStatus != "inactive" {
		t.Errorf("call status while recording: %+v %v", got2, err)
	}
	if err := c.DeleteCallLeg(ctx, leg.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CallLeg(ctx, leg.ID); !errors.Is(err, cms.ErrNotFound) {
		t.Errorf("after DELETE: %v", err)
	}
}

// §1.2 / faults: malformed XML is a decode error (and, on the status
// probe, "not a Call Bridge"); a bridge that is down is unreachable.
func TestContractFaults(t *testing.T) {
	e := newEnv(t, 1)
	b := e.cl.Bridges[0]
	c := e.client(t, 0)
	ctx := context.Background()
	b.SetMalformedXML(true)
	var de *cms.DecodeError
	if _, err := c.ClusterConfig(ctx); !errors.As(err, &de) {
		t.Errorf("malformed XML: %v", err)
	}
	if _, err := c.SystemStatus(ctx); !errors.Is(err, cms.ErrNotCallBridge) {
		t.Errorf("malformed status: %v", err)
	}
	b.SetMalformedXML(false)
	if err := b.SetDown(true); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SystemStatus(ctx); !errors.Is(err, cms.ErrUnreachable) {
		t.Errorf("bridge down: %v", err)
	}
}

// eventLog collects what an events client delivers.
type eventLog struct {
	mu     sync.Mutex
	msgs   []*events.Message
	states []events.State
	acks   []events.Ack
}

func (l *eventLog) count(pred func(*events.Message) bool) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, m := range l.msgs {
		if pred(m) {
			n++
		}
	}
	return n
}

func (l *eventLog) connects() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, s := range l.states {
		if s.Kind == events.Connected {
			n++
		}
	}
	return n
}

// §2: token from authTokens, subscriptions for calls, callInfo and
// callRoster, every message acknowledged (the bridge stops sending when
// too many are unacknowledged), typed add/update/remove, and resubscribing
// after the bridge drops the socket.
func TestContractEventsAcksAndResubscribe(t *testing.T) {
	e := newEnv(t, 1)
	b := e.cl.Bridges[0]
	api := e.client(t, 0)
	log := &eventLog{}
	var client *events.Client
	client = events.New(api, events.Options{
		OnMessage: func(m *events.Message) {
			log.mu.Lock()
			log.msgs = append(log.msgs, m)
			log.mu.Unlock()
			if m.CallListUpdate != nil {
				for _, u := range m.CallListUpdate.Updates {
					if u.UpdateType == events.Add {
						client.Watch(u.Call)
					}
				}
			}
		},
		OnState: func(s events.State) { log.mu.Lock(); log.states = append(log.states, s); log.mu.Unlock() },
		OnAck:   func(a events.Ack) { log.mu.Lock(); log.acks = append(log.acks, a); log.mu.Unlock() },
		Backoff: cms.Retry{Base: 10 * time.Millisecond, Max: 50 * time.Millisecond},
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- client.Run(ctx) }()
	eventually(t, "connected", func() bool { return log.connects() == 1 })

	call, err := b.StartCall(cmssim.CallOptions{Name: "Weekly sync", ActiveWhenEmpty: true})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "call add", func() bool {
		return log.count(func(m *events.Message) bool {
			return m.CallListUpdate != nil && m.CallListUpdate.Updates[0].UpdateType == events.Add && m.CallListUpdate.Updates[0].Call == call.ID
		}) == 1
	})
	// More joins and leaves than the bridge's window of unacknowledged
	// messages: they all arrive only if every message is acknowledged.
	const n = 40
	for i := range n {
		leg, err := b.Join(call.ID, cmssim.LegOptions{Name: "P" + strconv.Itoa(i)})
		if err != nil {
			t.Fatal(err)
		}
		if i%2 == 1 {
			if err := b.Leave(leg.ID); err != nil {
				t.Fatal(err)
			}
		}
		if i == 0 {
			eventually(t, "roster add of the first participant", func() bool {
				return log.count(func(m *events.Message) bool { return m.RosterUpdate != nil && m.Call == call.ID }) > 0
			})
		}
	}
	rosterAdds := func() int {
		log.mu.Lock()
		defer log.mu.Unlock()
		adds := 0
		for _, m := range log.msgs {
			if m.RosterUpdate != nil && m.Call == call.ID {
				for _, u := range m.RosterUpdate.Updates {
					if u.UpdateType == events.Add {
						adds++
					}
				}
			}
		}
		return adds
	}
	eventually(t, fmt.Sprintf("%d roster adds", n), func() bool { return rosterAdds() >= n })
	if log.count(func(m *events.Message) bool { return m.CallInfoUpdate != nil && m.Call == call.ID }) == 0 {
		t.Error("no callInfoUpdate for the watched call")
	}

	b.CloseEvents()
	eventually(t, "reconnected", func() bool { return log.connects() == 2 })
	before := rosterAdds()
	if _, err := b.Join(call.ID, cmssim.LegOptions{Name: "after reconnect"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "roster update after resubscribing", func() bool { return rosterAdds() > before })
	if err := b.EndCall(call.ID); err != nil {
		t.Fatal(err)
	}
	eventually(t, "call remove", func() bool {
		return log.count(func(m *events.Message) bool {
			return m.CallListUpdate != nil && m.CallListUpdate.Updates[0].UpdateType == events.Remove
		}) > 0
	})
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Run: %v", err)
	}
	log.mu.Lock()
	defer log.mu.Unlock()
	// The bridge acknowledges each subscribeRequest like any message: at
	// least the first, the one after Watch, and the one after reconnecting.
	if len(log.acks) < 3 || log.acks[0].Status != "success" {
		t.Errorf("acks of subscribeRequests: %+v", log.acks)
	}
	// §2: a new subscription is reported pending before it is active.
	var states []string
	for _, m := range log.msgs {
		if m.SubscriptionUpdate != nil {
			for _, st := range m.SubscriptionUpdate.Subscriptions {
				if st.Index == 1 {
					states = append(states, st.State)
				}
			}
		}
	}
	if len(states) < 2 || states[0] != "pending" || states[1] != "active" {
		t.Errorf("states of the calls subscription: %v, want pending then active", states)
	}
}

package cmssim

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// newSim starts a simulator closed at the end of the test.
func newSim(t testing.TB, opts Options) *Sim {
	t.Helper()
	s := New(opts)
	t.Cleanup(s.Close)
	return s
}

func addCluster(t testing.TB, s *Sim, o ClusterOptions) *Cluster {
	t.Helper()
	cl, err := s.AddCluster(o)
	if err != nil {
		t.Fatalf("AddCluster: %v", err)
	}
	return cl
}

// api is a plain net/http client for one bridge, trusting the sim CA.
type api struct {
	t          testing.TB
	base       string
	user, pass string
	hc         *http.Client
}

func newAPI(t testing.TB, s *Sim, b *Bridge) *api {
	return &api{t: t, base: b.URL() + "/api/v1", user: b.Username(), pass: b.Password(), hc: &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			TLSClientConfig:   &tls.Config{RootCAs: s.CACertPool(), MinVersion: tls.VersionTLS12},
			DisableKeepAlives: true,
		},
	}}
}

type reply struct {
	status int
	header http.Header
	body   []byte
}

func (a *api) do(method, path string, form url.Values) reply {
	a.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, a.base+path, body)
	if err != nil {
		a.t.Fatalf("request: %v", err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if a.user != "" {
		req.SetBasicAuth(a.user, a.pass)
	}
	resp, err := a.hc.Do(req)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return reply{status: resp.StatusCode, header: resp.Header, body: data}
}

func (a *api) get(path string) reply { return a.do("GET", path, nil) }

func (a *api) post(path string, kv ...string) reply { return a.do("POST", path, form(kv...)) }

func (a *api) put(path string, kv ...string) reply { return a.do("PUT", path, form(kv...)) }

func (a *api) del(path string) reply { return a.do("DELETE", path, nil) }

func form(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

// mustOK fails unless the reply is 200 and returns its parsed body.
func (r reply) mustOK(t testing.TB) *node {
	t.Helper()
	if r.status != 200 {
		t.Fatalf("status %d, body %s", r.status, r.body)
	}
	if len(r.body) == 0 {
		return nil
	}
	return parse(t, r.body)
}

// created returns the id at the end of the Location header.
func (r reply) created(t testing.TB) string {
	t.Helper()
	if r.status != 200 {
		t.Fatalf("create: status %d, body %s", r.status, r.body)
	}
	loc := r.header.Get("Location")
	if loc == "" {
		t.Fatalf("create: no Location header")
	}
	return loc[strings.LastIndexByte(loc, '/')+1:]
}

// failure asserts the status and failureDetails reason of an error reply
// and returns the reason element.
func (r reply) failure(t testing.TB, status int, reason string) *node {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
	}
	n := parse(t, r.body)
	if n.XMLName.Local != "failureDetails" || len(n.Nodes) != 1 || n.Nodes[0].XMLName.Local != reason {
		t.Fatalf("failureDetails: want <%s/>, got %s", reason, r.body)
	}
	return &n.Nodes[0]
}

// node is a generic XML element.
type node struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Content string     `xml:",chardata"`
	Nodes   []node     `xml:",any"`
}

func parse(t testing.TB, data []byte) *node {
	t.Helper()
	var n node
	if err := xml.Unmarshal(data, &n); err != nil {
		t.Fatalf("parse %s: %v", data, err)
	}
	return &n
}

func (n *node) attr(name string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func (n *node) child(name string) *node {
	for i := range n.Nodes {
		if n.Nodes[i].XMLName.Local == name {
			return &n.Nodes[i]
		}
	}
	return nil
}

func (n *node) has(name string) bool { return n.child(name) != nil }

// text returns the text of the named descendant path ("status/state").
func (n *node) text(path string) string {
	cur := n
	for _, p := range strings.Split(path, "/") {
		if cur = cur.child(p); cur == nil {
			return ""
		}
	}
	return strings.TrimSpace(cur.Content)
}

func (n *node) all(name string) []node {
	var out []node
	for _, c := range n.Nodes {
		if c.XMLName.Local == name {
			out = append(out, c)
		}
	}
	return out
}

func (n *node) total(t testing.TB) int {
	t.Helper()
	v, err := strconv.Atoi(n.attr("total"))
	if err != nil {
		t.Fatalf("total attribute %q: %v", n.attr("total"), err)
	}
	return v
}

// cdrSink is a CDR receiver on loopback that records every batch and
// answers with the status chosen by the test.
type cdrSink struct {
	srv *httptest.Server

	mu      sync.Mutex
	batches []sinkBatch
	refuse  int // answer 500 to this many more posts
	always  int // when non-zero, answer this status to every post
	posts   int
	notify  chan struct{}
}

type sinkBatch struct {
	raw     []byte
	session string
	bridge  string
	records []sinkRecord
	status  int
	path    string
}

type sinkRecord struct {
	typ         string
	time        string
	recordIndex int
	corrIndex   int
	missing     int
	inner       string
	id          string
}

type xmlRecords struct {
	Session    string `xml:"session,attr"`
	CallBridge string `xml:"callBridge,attr"`
	Records    []struct {
		Type    string `xml:"type,attr"`
		Time    string `xml:"time,attr"`
		RI      int    `xml:"recordIndex,attr"`
		CI      int    `xml:"correlatorIndex,attr"`
		Missing int    `xml:"numPreceedingRecordsMissing,attr"`
		Inner   []byte `xml:",innerxml"`
	} `xml:"record"`
}

func newSink(t testing.TB) *cdrSink {
	k := &cdrSink{notify: make(chan struct{}, 1)}
	k.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data, _ := io.ReadAll(r.Body)
		var recs xmlRecords
		if err := xml.Unmarshal(data, &recs); err != nil {
			t.Errorf("sink: bad batch %s: %v", data, err)
		}
		k.mu.Lock()
		k.posts++
		status := 200
		switch {
		case k.always != 0:
			status = k.always
		case k.refuse > 0:
			k.refuse--
			status = 500
		}
		sb := sinkBatch{raw: data, session: recs.Session, bridge: recs.CallBridge, status: status, path: r.URL.RequestURI()}
		for _, rec := range recs.Records {
			inner := string(rec.Inner)
			id := ""
			if i := strings.Index(inner, `id="`); i >= 0 {
				id = inner[i+4 : i+4+36]
			}
			sb.records = append(sb.records, sinkRecord{typ: rec.Type, time: rec.Time, recordIndex: rec.RI, corrIndex: rec.CI, missing: rec.Missing, inner: inner, id: id})
		}
		k.batches = append(k.batches, sb)
		k.mu.Unlock()
		select {
		case k.notify <- struct{}{}:
		default:
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(k.srv.Close)
	return k
}

func (k *cdrSink) url() string { return k.srv.URL + "/cdr" }

// accepted returns the records of acknowledged batches, in arrival order.
func (k *cdrSink) accepted() []sinkRecord {
	k.mu.Lock()
	defer k.mu.Unlock()
	var out []sinkRecord
	for _, b := range k.batches {
		if b.status == 200 {
			out = append(out, b.records...)
		}
	}
	return out
}

func (k *cdrSink) allBatches() []sinkBatch {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]sinkBatch(nil), k.batches...)
}

// waitRecords waits until at least n records were acknowledged.
func (k *cdrSink) waitRecords(t testing.TB, n int) []sinkRecord {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		if recs := k.accepted(); len(recs) >= n {
			return recs
		}
		select {
		case <-k.notify:
		case <-time.After(20 * time.Millisecond):
		case <-deadline:
			t.Fatalf("sink: got %d records, want %d", len(k.accepted()), n)
		}
	}
}

func types(recs []sinkRecord) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.typ
	}
	return out
}

// eventually polls cond until it holds or 10 s pass.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

var epoch = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// caCert returns the simulator's CA certificate, for CRL signature checks.
func caCert(t testing.TB, s *Sim) *x509.Certificate {
	block, _ := pem.Decode(s.CACertPEM())
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

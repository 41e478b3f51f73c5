package app

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/ent/cdrrecord"
	"github.com/switchboardhq/switchboard/server/platform/config"
	"github.com/switchboardhq/switchboard/server/servers"
)

// The receiver endpoint end to end under hostile input: whatever a peer
// posts to a bridge's CDR path, the server answers 200, 400 or 413 (a 400
// saying what is wrong), keeps serving, and keeps every record it has
// already acknowledged.

// cdrTarget is a running server that knows one Call Bridge, with one batch
// of that bridge's records already acknowledged.
type cdrTarget struct {
	s        *testServer
	bridgeID int
	url      string // the bridge's receiver URL
	client   *http.Client
	session  string
	// acked maps the acknowledged records' correlator indexes to their
	// stored ids and bodies.
	acked map[int64]storedCDR
}

type storedCDR struct {
	id   int
	body string
}

const ackedSession = "0f1e2d3c-4b5a-4969-8877-665544332211" // all_types.xml

// goldenCDRBatches returns the decoder's golden CDR documents.
func goldenCDRBatches(t testing.TB) map[string][]byte {
	t.Helper()
	files, err := filepath.Glob("../cms/cdr/testdata/*.xml")
	if err != nil || len(files) == 0 {
		t.Fatalf("golden CDR documents: %v (%d files)", err, len(files))
	}
	out := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(f)] = b
	}
	return out
}

// newCDRTarget adds a Call Bridge to the server's store and posts the
// golden all_types.xml batch for it, which must be acknowledged.
func newCDRTarget(t testing.TB, s *testServer) *cdrTarget {
	t.Helper()
	ctx := context.Background()
	db := s.app.db.Ent
	cl, err := db.Cluster.Create().SetDisplayName("Hostile").Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The bridge's API is unreachable (port 9 on loopback refuses): only
	// its CDR path matters here.
	b, err := db.CallBridge.Create().SetClusterID(cl.ID).SetDisplayName("Hostile 1").SetAddress("127.0.0.1").
		SetPort(9).SetUsername("api").SetPasswordSealed([]byte("sealed")).Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tg := &cdrTarget{
		s: s, bridgeID: b.ID, url: s.url + servers.ReceiverPath(b.ID), session: ackedSession,
		client: &http.Client{Timeout: 2 * time.Minute},
	}
	t.Cleanup(tg.client.CloseIdleConnections)
	status, body, err := tg.post(bytes.NewReader(goldenCDRBatches(t)["all_types.xml"]))
	if err != nil || status != http.StatusOK {
		t.Fatalf("golden batch: %d %q %v", status, body, err)
	}
	recs, err := db.CdrRecord.Query().Where(cdrrecord.BridgeID(b.ID), cdrrecord.Session(ackedSession)).All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 11 {
		t.Fatalf("golden batch acknowledged with %d records stored, want 11", len(recs))
	}
	tg.acked = map[int64]storedCDR{}
	for _, r := range recs {
		tg.acked[r.CorrelatorIndex] = storedCDR{id: r.ID, body: r.Body}
	}
	return tg
}

// post sends body to the bridge's receiver path and reads the answer. A
// 503 that is the model's back-pressure (Retry-After, nothing stored) is
// waited out and the body sent again, as a bridge would; any other 503
// is returned.
func (tg *cdrTarget) post(body io.ReadSeeker) (int, string, error) {
	for attempt := 0; ; attempt++ {
		if _, err := body.Seek(0, io.SeekStart); err != nil {
			return 0, "", err
		}
		req, err := http.NewRequest(http.MethodPost, tg.url, body)
		if err != nil {
			return 0, "", err
		}
		req.Header.Set("Content-Type", "application/xml")
		res, err := tg.client.Do(req)
		if err != nil {
			return 0, "", err
		}
		b, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil {
			return res.StatusCode, string(b), fmt.Errorf("reading the answer: %w", err)
		}
		if res.StatusCode == http.StatusServiceUnavailable && res.Header.Get("Retry-After") != "" &&
			strings.Contains(string(b), "too many records wait") && attempt < 300 {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		return res.StatusCode, string(b), nil
	}
}

// check asserts what must hold after any post: a clear answer, a server
// that still answers, and the acknowledged batch intact.
func (tg *cdrTarget) check(t testing.TB, what string, status int, body string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: no answer: %v", what, err)
	}
	switch status {
	case http.StatusOK:
	case http.StatusBadRequest:
		// "the body is not a valid CDR batch: cdr: batch broken at line L,
		// column C, ...: cause"
		msg := strings.TrimSpace(body)
		if !strings.HasPrefix(msg, "the body is not a valid CDR batch: ") || len(msg) <= len("the body is not a valid CDR batch: ") {
			t.Fatalf("%s: 400 does not say what is wrong: %q", what, clip(body))
		}
	case http.StatusRequestEntityTooLarge:
		if !strings.Contains(body, "larger than 32 MiB") {
			t.Fatalf("%s: 413 does not say what is wrong: %q", what, clip(body))
		}
	default:
		t.Fatalf("%s: answered %d %q, want 200, 400 or 413", what, status, clip(body))
	}
	tg.alive(t, what)
	tg.intact(t, what)
}

func (tg *cdrTarget) alive(t testing.TB, what string) {
	t.Helper()
	res, err := tg.client.Get(tg.s.url + "/healthz")
	if err != nil {
		t.Fatalf("after %s: /healthz: %v", what, err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || string(b) != "ok\n" {
		t.Fatalf("after %s: /healthz: %d %q", what, res.StatusCode, b)
	}
}

// intact asserts that every acknowledged record is still stored, as it was.
func (tg *cdrTarget) intact(t testing.TB, what string) {
	t.Helper()
	indexes := make([]int64, 0, len(tg.acked))
	for ci := range tg.acked {
		indexes = append(indexes, ci)
	}
	recs, err := tg.s.app.db.Ent.CdrRecord.Query().Where(cdrrecord.BridgeID(tg.bridgeID),
		cdrrecord.Session(tg.session), cdrrecord.CorrelatorIndexIn(indexes...)).All(context.Background())
	if err != nil {
		t.Fatalf("after %s: %v", what, err)
	}
	if len(recs) != len(tg.acked) {
		t.Fatalf("after %s: %d of the %d acknowledged records are stored", what, len(recs), len(tg.acked))
	}
	for _, r := range recs {
		if want := tg.acked[r.CorrelatorIndex]; r.ID != want.id || r.Body != want.body {
			t.Fatalf("after %s: acknowledged record %d changed", what, r.CorrelatorIndex)
		}
	}
}

// count is the number of records stored for the bridge.
func (tg *cdrTarget) count(t testing.TB) int {
	t.Helper()
	n, err := tg.s.app.db.Ent.CdrRecord.Query().Where(cdrrecord.BridgeID(tg.bridgeID)).Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func clip(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}

// Hostile bodies.

func deepNesting(levels int, inRecord, closed bool) []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0"?><records session="deep">`)
	if inRecord {
		b.WriteString(`<record type="callStart" time="2026-03-02T09:00:00Z" correlatorIndex="1">`)
	}
	for range levels {
		b.WriteString("<a>")
	}
	if closed {
		for range levels {
			b.WriteString("</a>")
		}
		if inRecord {
			b.WriteString("</record>")
		}
		b.WriteString("</records>")
	}
	return b.Bytes()
}

// entityBomb is a billion-laughs document: ten levels of ten references.
func entityBomb() []byte {
	var b strings.Builder
	b.WriteString("<?xml version=\"1.0\"?>\n<!DOCTYPE records [\n<!ENTITY lol0 \"lol\">\n")
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&b, "<!ENTITY lol%d \"%s\">\n", i, strings.Repeat(fmt.Sprintf("&lol%d;", i-1), 10))
	}
	b.WriteString("]>\n<records session=\"bomb\"><record type=\"callStart\" correlatorIndex=\"1\">" +
		"<call id=\"c\"><name>&lol9;</name></call></record></records>")
	return []byte(b.String())
}

func hugeAttribute(n int) []byte {
	return []byte(`<records session="huge"><record type="callStart" time="2026-03-02T09:00:00Z" correlatorIndex="1" cdrTag="` +
		strings.Repeat("x", n) + `"><call id="` + strings.Repeat("c", n) + `"><name>n</name></call></record></records>`)
}

func tinyRecords(n int, session string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, `<records session="%s">`, session)
	for i := range n {
		fmt.Fprintf(&b, `<record type="callEnd" correlatorIndex="%d"/>`, i)
	}
	b.WriteString("</records>")
	return b.Bytes()
}

// FuzzCDRReceiverEndpoint posts arbitrary bodies over real HTTP to a
// bridge's receiver path of one running server.
func FuzzCDRReceiverEndpoint(f *testing.F) {
	golden := goldenCDRBatches(f)
	for _, name := range []string{"all_types.xml", "unclustered_gap.xml"} {
		b := golden[name]
		f.Add(b)
		f.Add(b[:len(b)/2]) // truncated
		f.Add(b[:len(b)-3])
	}
	f.Add(entityBomb())
	f.Add(deepNesting(10_000, false, true))
	f.Add(deepNesting(10_000, true, true))
	f.Add(deepNesting(10_000, true, false))
	f.Add(hugeAttribute(64 << 10))
	f.Add([]byte("<records session=\"\xff\xfe\"><record type=\"callEnd\" correlatorIndex=\"1\">\xc3\x28</record></records>"))
	f.Add([]byte{0xff, 0xfe, 0x00, '<', 0x00, 'r'}) // UTF-16 with BOM: not UTF-8
	f.Add([]byte{})
	f.Add(tinyRecords(10_000, "tiny"))
	f.Add([]byte(`<?xml version="1.0" encoding="ISO-8859-1"?><records session="s"></records>`))
	f.Add([]byte(`<records session="s"><record type="x" time="bad" correlatorIndex="-1"/></records>`))

	cfg := config.Default()
	cfg.Server.Plaintext = true
	cfg.Server.ShutdownTimeout = 5 * time.Second
	cfg.Storage.DataDir = f.TempDir()
	cfg.Bootstrap.AdminPassword = adminPassword
	tg := newCDRTarget(f, serve(f, cfg))
	f.Fuzz(func(t *testing.T, body []byte) {
		status, answer, err := tg.post(bytes.NewReader(body))
		tg.check(t, "fuzzed body", status, answer, err)
	})
}

// TestCDRReceiverHostileBodies runs the fuzz target's checks on the
// hostile cases that matter most, in every test run.
func TestCDRReceiverHostileBodies(t *testing.T) {
	tg := newCDRTarget(t, start(t, "sqlite"))
	golden := goldenCDRBatches(t)["all_types.xml"]

	for _, c := range []struct {
		name   string
		body   []byte
		status int
		stored int // new records
	}{
		{"100k-deep nesting", deepNesting(100_000, false, true), http.StatusOK, 0},
		// Well-formed: the record is kept, its unknown element with it.
		{"100k-deep nesting in a record", deepNesting(100_000, true, true), http.StatusOK, 1},
		{"100k-deep unterminated nesting", deepNesting(100_000, true, false), http.StatusBadRequest, 0},
		{"entity-expansion bomb", entityBomb(), http.StatusBadRequest, 0},
		{"unterminated document", golden[:len(golden)-len("</records>\n")], http.StatusBadRequest, 0},
		{"truncated mid-record", golden[:len(golden)/2], http.StatusBadRequest, 0},
		{"1 MiB attributes", hugeAttribute(1 << 20), http.StatusOK, 1},
		{"garbage bytes", []byte("\x00\x01\x02\xff\xfe\x80<<<>>>&&&;\x7f\x1b[0m"), http.StatusBadRequest, 0},
		{"not UTF-8", []byte("<records session=\"s\"><record type=\"callEnd\" correlatorIndex=\"9\"><call id=\"\xff\xfe\"/></record></records>"), http.StatusBadRequest, 0},
		{"empty body", nil, http.StatusBadRequest, 0},
		{"10,000 tiny records", tinyRecords(10_000, "tiny"), http.StatusOK, 10_000},
		// More than a post may hold (cdrs.MaxBatchRecords): refused whole.
		{"40,000 tiny records", tinyRecords(40_000, "many"), http.StatusBadRequest, 0},
		{"valid batch sent again", golden, http.StatusOK, 0},
	} {
		before := tg.count(t)
		status, body, err := tg.post(bytes.NewReader(c.body))
		tg.check(t, c.name, status, body, err)
		if status != c.status {
			t.Errorf("%s: %d %q, want %d", c.name, status, clip(body), c.status)
		}
		if got := tg.count(t) - before; got != c.stored {
			t.Errorf("%s: stored %d new records, want %d", c.name, got, c.stored)
		}
	}

	t.Run("just over 32 MiB", func(t *testing.T) {
		before := tg.count(t)
		body := &recordStream{limit: maxCDRBatchBytes + 1024}
		began := time.Now()
		status, answer, err := tg.post(body)
		took := time.Since(began)
		tg.check(t, "a body just over 32 MiB", status, answer, err)
		if status != http.StatusRequestEntityTooLarge {
			t.Fatalf("%d %q, want 413", status, clip(answer))
		}
		if n := tg.count(t) - before; n != 0 {
			t.Fatalf("%d records of a refused batch stored", n)
		}
		t.Logf("413 after %v", took)
	})

	t.Run("endless body", func(t *testing.T) {
		// The server stops reading at the cap and answers: it neither reads
		// (nor buffers) the rest nor waits for the end.
		body := &recordStream{limit: 1 << 30}
		began := time.Now()
		status, answer, err := tg.post(body)
		took := time.Since(began)
		tg.check(t, "an endless body", status, answer, err)
		if status != http.StatusRequestEntityTooLarge {
			t.Fatalf("%d %q, want 413", status, clip(answer))
		}
		// What the server did not read sits in socket buffers at most.
		if body.n > maxCDRBatchBytes+16<<20 {
			t.Fatalf("the server read %d MiB of a body capped at 32 MiB", body.n>>20)
		}
		if took > 90*time.Second { // generous: -race on a shared machine takes ~40 s
			t.Fatalf("413 after %v", took)
		}
		t.Logf("413 after %v, %d MiB sent", took, body.n>>20)
	})
}

// recordStream is a lazily generated batch, limit bytes long and never
// closed: one record, then white space (so that it stays under the
// record cap and is refused for its size alone); n counts the bytes
// handed out.
type recordStream struct {
	limit, n int
	pending  []byte
}

func (r *recordStream) Read(p []byte) (int, error) {
	if r.n >= r.limit {
		return 0, io.EOF
	}
	if r.n == 0 && len(r.pending) == 0 {
		r.pending = []byte(`<records session="endless"><record type="callEnd" correlatorIndex="0"/>`)
	}
	for len(r.pending) < len(p) {
		r.pending = append(r.pending, "                                                               \n"...)
	}
	n := copy(p, r.pending[:min(len(p), r.limit-r.n)])
	r.pending = r.pending[n:]
	r.n += n
	return n, nil
}

// Seek rewinds (post sends a body again after back-pressure).
func (r *recordStream) Seek(offset int64, whence int) (int64, error) {
	if offset != 0 || whence != io.SeekStart {
		return 0, fmt.Errorf("recordStream only rewinds")
	}
	r.n, r.pending = 0, nil
	return 0, nil
}

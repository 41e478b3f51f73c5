package cdr

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden JSON files in testdata")

func decodeAll(t *testing.T, r io.Reader) ([]*Record, []error) {
	t.Helper()
	var recs []*Record
	var errs []error
	for rec, err := range NewDecoder(r).All() {
		if rec != nil {
			recs = append(recs, rec)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return recs, errs
}

// TestGolden decodes every batch in testdata and compares the records,
// as JSON, with the reviewed golden output next to it.
func TestGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.xml")
	if len(files) < 2 {
		t.Fatalf("golden batches missing: %v", files)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			in, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			recs, errs := decodeAll(t, bytes.NewReader(in))
			if len(errs) > 0 {
				t.Fatalf("golden batch must decode cleanly: %v", errs)
			}
			var out bytes.Buffer
			for _, r := range recs {
				b, err := json.Marshal(r)
				if err != nil {
					t.Fatal(err)
				}
				out.Write(b)
				out.WriteByte('\n')
			}
			golden := strings.TrimSuffix(f, ".xml") + ".json"
			if *update {
				if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(out.Bytes(), want) {
				t.Errorf("decoded records differ from %s:\n got: %s\nwant: %s", golden, out.Bytes(), want)
			}
		})
	}
}

func TestEveryRecordType(t *testing.T) {
	f, err := os.Open("testdata/all_types.xml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, errs := decodeAll(t, f)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	seen := map[Type]*Record{}
	for _, r := range recs {
		if seen[r.Type] == nil {
			seen[r.Type] = r
		}
		if r.Session != "0f1e2d3c-4b5a-4969-8877-665544332211" || r.CallBridge != "c0b1d2e3-f405-4617-8829-3a4b5c6d7e8f" {
			t.Errorf("record %d lost the envelope: session %q, callBridge %q", r.RecordIndex, r.Session, r.CallBridge)
		}
	}
	for typ := range bodyElement {
		r := seen[typ]
		if r == nil {
			t.Errorf("no %s record decoded", typ)
			continue
		}
		if r.Body() == nil {
			t.Errorf("%s: no typed body", typ)
		}
		// callLegEnd is the one record without the call's id.
		if want := "a1000000-0000-4000-8000-000000000001"; r.CallID() != want && typ != CallLegEnd {
			t.Errorf("%s: CallID() = %q", typ, r.CallID())
		}
	}

	start := seen[CallStart]
	if start.RecordIndex != 41 || start.CorrelatorIndex != 1040 || !start.Time.Equal(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)) {
		t.Errorf("callStart envelope: %+v", start)
	}
	if cs := start.CallStart; cs.Name != "Weekly sync" || cs.CDRTag != "cost-centre-17" || cs.CallType != "coSpace" || cs.OwnerName != "" {
		t.Errorf("callStart body: %+v", cs)
	}
	if x := start.CallStart.Extra; len(x) != 1 || x[0].XMLName.Local != "meetingNotes" || x[0].Inner != "off" {
		t.Errorf("unknown element inside callStart must be kept raw: %+v", x)
	}
	if got := seen[CallLegStart].CallLegID(); got != "e5000000-0000-4000-8000-000000000005" {
		t.Errorf("callLegStart CallLegID() = %q", got)
	}
	upd := seen[CallLegUpdate].CallLegUpdate
	if upd.State != "connected" || upd.Deactivated == nil || !*upd.Deactivated || upd.ConfirmationStatus != "notRequired" {
		t.Errorf("callLegUpdate: %+v", upd)
	}
	if len(upd.Extra) != 1 || upd.Extra[0].Inner != "<callBridge>c0b1d2e3-f405-4617-8829-3a4b5c6d7eff</callBridge>" {
		t.Errorf("callMove must be kept raw with its content: %+v", upd.Extra)
	}
	ivr := recs[3].CallLegUpdate
	if ivr.IVR == nil || !bool(*ivr.IVR) || ivr.Call != "" {
		t.Errorf("<ivr/> must read as in-IVR: %+v", ivr)
	}
	end := seen[CallLegEnd].CallLegEnd
	if end.Reason != "remoteTeardown" || end.DurationSeconds != 1797 || *end.ActivatedDuration != 1790 {
		t.Errorf("callLegEnd: %+v", end)
	}
	if len(end.Alarms) != 3 || end.Alarms[0].Type != "packetLoss" || end.Alarms[0].DurationPercentage != 1.4 {
		t.Errorf("callLegEnd alarms: %+v", end.Alarms)
	}
	if ps := end.RxAudio.PacketStatistics; ps == nil || *ps.PacketLossBursts.Density != 3.5 || *ps.PacketGap.Duration != 120.4 {
		t.Errorf("rxAudio packet statistics: %+v", ps)
	}
	if *end.RxVideo.MaxSizeWidth != 1920 || *end.MediaUsagePercentages.MainVideoViewer != 98.9 {
		t.Errorf("callLegEnd video/media usage: %+v %+v", end.RxVideo, end.MediaUsagePercentages)
	}
	if ce := seen[CallEnd].CallEnd; ce.CallLegsCompleted != 3 || ce.CallLegsMaxActive != 2 || ce.DurationSeconds != 1803 {
		t.Errorf("callEnd: %+v", ce)
	}
	if rs := seen[RecordingStart].RecordingStart; rs.Path == "" || rs.RecorderURI == "" {
		t.Errorf("recordingStart: %+v", rs)
	}
	unknown := recs[len(recs)-1]
	if unknown.Type != "meetingNotesStart" || unknown.Type.Known() || len(unknown.Unknown) != 1 ||
		unknown.Unknown[0].Inner != "<call>a1000000-0000-4000-8000-000000000001</call>" || unknown.CorrelatorIndex != 1050 {
		t.Errorf("an unknown record type must be kept raw with its indexes: %+v", unknown)
	}
}

func TestUnclusteredBatchWithGap(t *testing.T) {
	f, err := os.Open("testdata/unclustered_gap.xml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d := NewDecoder(f)
	b, err := d.Batch()
	if err != nil || b.Session != "5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d" || b.CallBridge != "" {
		t.Fatalf("Batch() = %+v, %v", b, err)
	}
	r, err := d.Next()
	if err != nil {
		t.Fatal(err)
	}
	if r.NumPrecedingRecordsMissing != 5 || r.RecordIndex != 1 || r.CorrelatorIndex != 6 {
		t.Errorf("counters of the first record after a gap: %+v", r)
	}
	r, _ = d.Next()
	if g := r.CallLegStart.GuestConnection; g == nil || !*g {
		t.Errorf("guestConnection: %+v", r.CallLegStart)
	}
	r, _ = d.Next()
	if r.CallLegEnd.ConfirmationStatus != "rejected" || r.NumPrecedingRecordsMissing != 0 {
		t.Errorf("callLegEnd: %+v", r)
	}
	if _, err := d.Next(); err != io.EOF {
		t.Errorf("after </records>: %v, want io.EOF", err)
	}
	if _, err := d.Next(); err != io.EOF {
		t.Errorf("io.EOF must be sticky, got %v", err)
	}
}

const twoRecords = `<?xml version="1.0"?>
<records session="s1">
<record type="callStart" time="2026-03-02T10:00:00Z" recordIndex="1" correlatorIndex="10"><call id="c1"><name>A</name></call></record>
<record type="callEnd" time="2026-03-02T10:01:00Z" recordIndex="2" correlatorIndex="11"><call id="c1"><durationSeconds>60</durationSeconds></call></record>
`

func TestBrokenBatchNamesWhere(t *testing.T) {
	cases := []struct {
		name, in          string
		records           int
		lastCI            uint64
		line              int
		wantInMessage     string
		wantRecordsBefore int
	}{
		{name: "truncated", in: twoRecords, records: 2, lastCI: 11, line: 5, wantInMessage: "before </records>"},
		{name: "mismatched tag", in: twoRecords + `<record type="callEnd"><call id="c1"></cal></record></records>`, records: 2, lastCI: 11, line: 5, wantInMessage: "</cal>"},
		{name: "wrong root", in: `<?xml version="1.0"?><html><body>502</body></html>`, line: 1, wantInMessage: "want <records>"},
		{name: "empty", in: "", line: 1, wantInMessage: "no <records>"},
		{name: "text after", in: `<records session="s"></records>junk`, line: 1, wantInMessage: "text after </records>"},
		{name: "second root", in: `<records session="s"></records><records/>`, line: 1, wantInMessage: "second root"},
		{name: "bad entity", in: `<records session="s"><record type="callStart"><call id="c"><name>&bogus;</name></call></record></records>`, line: 1, wantInMessage: "bogus"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			recs, errs := decodeAll(t, strings.NewReader(c.in))
			if len(recs) != c.records {
				t.Errorf("got %d good records, want %d", len(recs), c.records)
			}
			if len(errs) != 1 {
				t.Fatalf("want exactly one error, got %v", errs)
			}
			var be *BatchError
			if !errors.As(errs[0], &be) {
				t.Fatalf("want *BatchError, got %T %v", errs[0], errs[0])
			}
			if be.Records != c.records || (c.records > 0 && be.LastCorrelatorIndex != c.lastCI) || be.Line != c.line {
				t.Errorf("BatchError = %+v, want records %d, last correlatorIndex %d, line %d", be, c.records, c.lastCI, c.line)
			}
			if !strings.Contains(be.Error(), c.wantInMessage) || !strings.Contains(be.Error(), fmt.Sprintf("line %d", c.line)) {
				t.Errorf("message %q should name %q and the line", be.Error(), c.wantInMessage)
			}
		})
	}
}

func TestBadValueSpoilsOnlyItsRecord(t *testing.T) {
	in := `<records session="s">
<record type="callEnd" time="2026-03-02T10:01:00Z" recordIndex="1" correlatorIndex="1"><call id="c1"><durationSeconds>sixty</durationSeconds><callLegsCompleted>2</callLegsCompleted></call></record>
<record type="callLegEnd" time="yesterday" recordIndex="2" correlatorIndex="x"><callLeg id="l1"><alarm type="packetLoss" durationPercentage="lots"><note>n</note></alarm><reason>timeout</reason></callLeg></record>
<record type="callStart" time="2026-03-02T10:02:00Z" recordIndex="3" correlatorIndex="3"><call id="c2"><name>ok</name></call></record>
</records>`
	d := NewDecoder(strings.NewReader(in))
	r1, err := d.Next()
	var re *RecordError
	if !errors.As(err, &re) || re.N != 1 || re.Type != CallEnd || !strings.Contains(err.Error(), `"sixty" is not a valid number`) {
		t.Fatalf("record 1: %v", err)
	}
	if r1 == nil || r1.CallEnd == nil || r1.CallEnd.ID != "c1" {
		t.Errorf("record 1 must come back with what could be read: %+v", r1)
	}
	r2, err := d.Next()
	if !errors.As(err, &re) || re.N != 2 || re.Line != 3 {
		t.Fatalf("record 2: %v", err)
	}
	for _, want := range []string{`time="yesterday"`, `correlatorIndex="x"`, `bad decimal "lots"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("record 2 error %q lacks %q", err, want)
		}
	}
	if r2.RecordIndex != 2 {
		t.Errorf("record 2 lost its good attributes: %+v", r2)
	}
	r3, err := d.Next()
	if err != nil || r3.CallStart.Name != "ok" {
		t.Fatalf("record 3 after two bad ones: %+v, %v", r3, err)
	}
	if _, err := d.Next(); err != io.EOF {
		t.Fatalf("end: %v", err)
	}
}

func TestUnknownElementsAreSkipped(t *testing.T) {
	in := `<records session="s"><batchInfo><x/></batchInfo><record type="callStart" recordIndex="1" correlatorIndex="0" time="2026-03-02T10:00:00Z"><call id="c"><name>n</name></call><signature>abc</signature></record></records>`
	recs, errs := decodeAll(t, strings.NewReader(in))
	if len(errs) > 0 || len(recs) != 1 {
		t.Fatalf("%v %v", recs, errs)
	}
	if recs[0].CallStart.Name != "n" || len(recs[0].Unknown) != 1 || recs[0].Unknown[0].XMLName.Local != "signature" {
		t.Errorf("record: %+v", recs[0])
	}
}

// endless produces a <records> batch that never ends, to show that the
// decoder hands out records without reading the whole input.
type endless struct {
	buf bytes.Buffer
	n   int
}

func (e *endless) Read(p []byte) (int, error) {
	if e.buf.Len() == 0 {
		if e.n == 0 {
			e.buf.WriteString(`<records session="s">`)
		}
		e.n++
		fmt.Fprintf(&e.buf, `<record type="callLegUpdate" time="2026-03-02T10:00:00Z" recordIndex="%d" correlatorIndex="%d"><callLeg id="l"><state>connected</state></callLeg></record>`, e.n, e.n)
	}
	return e.buf.Read(p)
}

func TestStreamsWithoutReadingTheWholeBatch(t *testing.T) {
	src := &endless{}
	d := NewDecoder(src)
	for i := 1; i <= 5000; i++ {
		r, err := d.Next()
		if err != nil {
			t.Fatal(err)
		}
		if r.RecordIndex != uint64(i) {
			t.Fatalf("record %d has recordIndex %d", i, r.RecordIndex)
		}
	}
	// encoding/xml reads ahead through a 4 KiB buffer: a few records, not
	// the stream.
	if src.n > 5000+64 {
		t.Errorf("decoder read %d records to hand out 5000", src.n)
	}
}

// TestRecordsSurviveJSON: the receiver stores each decoded record as JSON
// and the live model decodes it again; every golden record must come back
// the same.
func TestRecordsSurviveJSON(t *testing.T) {
	files, err := filepath.Glob("testdata/*.xml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden batches: %v", err)
	}
	for _, name := range files {
		body, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		dec := NewDecoder(bytes.NewReader(body))
		for {
			rec, err := dec.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				continue // malformed goldens are other tests' business
			}
			b, err := json.Marshal(rec)
			if err != nil {
				t.Fatal(err)
			}
			var back Record
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatalf("%s: %s record does not decode from JSON: %v", name, rec.Type, err)
			}
			again, _ := json.Marshal(&back)
			if !bytes.Equal(b, again) {
				t.Fatalf("%s: %s record changed in a JSON round trip:\n%s\n%s", name, rec.Type, b, again)
			}
		}
	}
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
)

// runIn runs the command with stdin and returns stdout and the error.
func runIn(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	cmd := root()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&bytes.Buffer{})
	cmd.SetIn(strings.NewReader(stdin))
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(context.Background())
	return out.String(), err
}

func jsonLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("not one JSON object per line: %q: %v", l, err)
		}
		lines = append(lines, m)
	}
	return lines
}

func TestDebugCDR(t *testing.T) {
	out, err := runIn(t, "", "debug", "cdr", "../../server/cms/cdr/testdata/all_types.xml")
	if err != nil {
		t.Fatal(err)
	}
	lines := jsonLines(t, out)
	if len(lines) != 11 {
		t.Fatalf("%d records printed", len(lines))
	}
	leg := lines[1]
	for k, want := range map[string]any{
		"type": "callLegStart", "time": "2026-03-02T09:00:05Z", "recordIndex": 42.0, "correlatorIndex": 1041.0,
		"session": "0f1e2d3c-4b5a-4969-8877-665544332211", "callBridge": "c0b1d2e3-f405-4617-8829-3a4b5c6d7e8f",
		"call": "a1000000-0000-4000-8000-000000000001", "callLeg": "e5000000-0000-4000-8000-000000000005",
	} {
		if leg[k] != want {
			t.Errorf("%s = %v, want %v", k, leg[k], want)
		}
	}
	if f := leg["fields"].(map[string]any); f["displayName"] != "Ada Lovelace" || f["sipCallId"] != "8d2f0e4a9c@192.0.2.10" {
		t.Errorf("fields: %v", f)
	}
	if u := lines[10]["unknown"]; u == nil {
		t.Errorf("unknown record type printed without its body: %v", lines[10])
	}
}

func TestDebugCDRMalformed(t *testing.T) {
	_, err := runIn(t, `<records session="s"><record type="callStart" recordIndex="1"><call id="c"></cal>`, "debug", "cdr", "-")
	if err == nil || !strings.Contains(err.Error(), "line 1") || !strings.Contains(err.Error(), "</cal>") {
		t.Errorf("broken XML: %v", err)
	}
	out, err := runIn(t, `<records session="s">
<record type="callEnd" recordIndex="1" correlatorIndex="4"><call id="c"><durationSeconds>x</durationSeconds></call></record>
<record type="callStart" recordIndex="2" correlatorIndex="5"><call id="d"><name>ok</name></call></record>
</records>`, "debug", "cdr", "-")
	lines := jsonLines(t, out)
	if err == nil || !strings.Contains(err.Error(), "1 of 2 records have bad values") {
		t.Errorf("bad value: %v", err)
	}
	if len(lines) != 2 || !strings.Contains(lines[0]["error"].(string), `"x" is not a valid number`) || lines[1]["call"] != "d" {
		t.Errorf("a bad record is printed with its error and decoding goes on: %v", lines)
	}
	if _, err := runIn(t, `<records session="s"/>`, "debug", "cdr", "-"); err == nil || !strings.Contains(err.Error(), "no record") {
		t.Errorf("empty batch: %v", err)
	}
	if _, err := runIn(t, "", "debug", "cdr", "/nonexistent/file.xml"); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing file: %v", err)
	}
}

func TestDebugCMSXML(t *testing.T) {
	out, err := runIn(t, "", "debug", "cms-xml", "../../server/cms/testdata/callLeg.xml")
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Kind  string
		Value struct {
			Status struct {
				RxVideo []struct{ Role string }
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil || r.Kind != "callLeg" || len(r.Value.Status.RxVideo) != 2 {
		t.Errorf("%v %+v\n%s", err, r, out)
	}
	out, err = runIn(t, `<coSpaces total="1"><coSpace id="a"><name>x</name><future>1</future></coSpace></coSpaces>`, "debug", "cms-xml", "-")
	if err != nil || !strings.Contains(out, `"kind": "coSpaces"`) || !strings.Contains(out, `"name": "future"`) {
		t.Errorf("%v\n%s", err, out)
	}
	for in, want := range map[string]string{
		`<html><body>Login</body></html>`:   "unknown reply kind <html>",
		`<coSpace id="a"><name>x</coSpace>`: "line 1",
		``:                                  "no XML element",
	} {
		if _, err := runIn(t, in, "debug", "cms-xml", "-"); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", in, err, want)
		}
	}
}

func TestDebugEvents(t *testing.T) {
	out, err := runIn(t, "", "debug", "events", "../../server/cms/events/testdata/messages.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	lines := jsonLines(t, out)
	if len(lines) != 11 || lines[1]["messageAck"] == nil || lines[7]["frame"] != 8.0 {
		t.Fatalf("%d frames: %v", len(lines), lines)
	}
	// A JSON array of frames, as captures are often saved.
	out, err = runIn(t, ` [{"type":"message","message":{"messageId":4,"type":"rosterUpdate","subscriptionIndex":3,"updates":[{"participant":"p","updateType":"remove","reason":"timeout"}]}, "date":"2020-06-02"}]`, "debug", "events", "-")
	if err != nil || !strings.Contains(out, `"reason":"timeout"`) {
		t.Errorf("array input: %v %s", err, out)
	}
	out, err = runIn(t, `{"type":"message","message":{"messageId":1,"type":"x"}} {"type":"ping"} {"type":"message","message":{}}`, "debug", "events", "-")
	if err == nil || !strings.Contains(err.Error(), "2 of 3 frames") {
		t.Errorf("undecodable frames: %v", err)
	}
	if lines := jsonLines(t, out); len(lines) != 3 || !strings.Contains(lines[2]["error"].(string), "without messageId") {
		t.Errorf("%v", lines)
	}
	if _, err := runIn(t, `{"type":"message","message":{"messageId":1,"type":"x"}}`+"\n"+`{"type": NaN}`, "debug", "events", "-"); err == nil ||
		!strings.Contains(err.Error(), "after frame 1") || !strings.Contains(err.Error(), "broken JSON") {
		t.Errorf("broken JSON: %v", err)
	}
	if _, err := runIn(t, "  \n", "debug", "events", "-"); err == nil || !strings.Contains(err.Error(), "no frame") {
		t.Errorf("empty: %v", err)
	}
}

package events

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden JSON files in testdata")

func goldenFrames(t testing.TB) [][]byte {
	t.Helper()
	b, err := os.ReadFile("testdata/messages.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if line := bytes.TrimSpace(sc.Bytes()); len(line) > 0 {
			out = append(out, append([]byte(nil), line...))
		}
	}
	return out
}

func TestDecodeGolden(t *testing.T) {
	var out bytes.Buffer
	for i, line := range goldenFrames(t) {
		f, err := Decode(line)
		if err != nil {
			t.Fatalf("frame %d: %v", i+1, err)
		}
		b, err := json.Marshal(f)
		if err != nil {
			t.Fatal(err)
		}
		out.Write(b)
		out.WriteByte('\n')
	}
	if *update {
		if err := os.WriteFile("testdata/messages.golden.jsonl", out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile("testdata/messages.golden.jsonl")
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if !bytes.Equal(out.Bytes(), want) {
		t.Errorf("decoded frames differ from the golden file:\n got: %s\nwant: %s", out.Bytes(), want)
	}
}

func TestDecodeTypedUpdates(t *testing.T) {
	frames := goldenFrames(t)
	dec := func(i int) *Message {
		t.Helper()
		f, err := Decode(frames[i])
		if err != nil || f.Message == nil {
			t.Fatalf("frame %d: %v", i+1, err)
		}
		return f.Message
	}
	if f, _ := Decode(frames[1]); f.Ack == nil || f.Ack.MessageID != 1 || f.Ack.Status != "success" {
		t.Errorf("messageAck: %+v", f)
	}
	if m := dec(0); len(m.SubscribeRequest) != 3 || m.SubscribeRequest[2].Type != SubCallRoster || m.SubscribeRequest[2].Call == "" {
		t.Errorf("subscribeRequest: %+v", m.SubscribeRequest)
	}
	su := dec(2).SubscriptionUpdate
	if len(su.Subscriptions) != 3 || su.Subscriptions[0].State != "pending" || string(su.Subscriptions[2].Extra["reason"]) != `"none"` {
		t.Errorf("subscriptionUpdate: %+v", su)
	}
	add := dec(3).CallListUpdate.Updates[0]
	if add.UpdateType != Add || *add.Name != "Weekly sync" || *add.Participants != 0 || *add.LockState != "locked" || *add.Recording != "active" {
		t.Errorf("call add: %+v", add)
	}
	upd := dec(4).CallListUpdate.Updates
	if upd[0].UpdateType != Update || *upd[0].DistributedInstances != 1 || upd[0].Name != nil {
		t.Errorf("a call update carries only what changed: %+v", upd[0])
	}
	if upd[1].UpdateType != Remove || upd[1].Reason != "allLeft" {
		t.Errorf("call remove: %+v", upd[1])
	}
	ci := dec(5).CallInfoUpdate
	if ci.SubscriptionIndex != 2 || *ci.CallInfo.Participants != 2 || *ci.CallInfo.JoinAudioMuteOverride {
		t.Errorf("callInfo: %+v", ci)
	}
	ci2 := dec(6).CallInfoUpdate.CallInfo
	if *ci2.Participants != 3 || ci2.Name != nil || string(ci2.Extra["meetingNotes"]) != `"on"` {
		t.Errorf("partial callInfo with an unknown element: %+v", ci2)
	}
	r := dec(7).RosterUpdate.Updates[0]
	if r.UpdateType != Add || *r.Name != "Ada Lovelace" || *r.State != "initial" || r.Importance != nil || !*r.CanMove {
		t.Errorf("roster add (importance null = absent): %+v", r)
	}
	r = dec(8).RosterUpdate.Updates[0]
	if *r.State != "connected" || !*r.AudioMuted || *r.Importance != 5 || r.ActiveSpeaker != nil || string(r.Extra["activeSpeaker"]) != `"yes"` {
		t.Errorf("a mistyped element must go to Extra, not fail the update: %+v", r)
	}
	if r := dec(9).RosterUpdate.Updates[0]; r.UpdateType != Remove || r.Reason != "timeout" {
		t.Errorf("roster remove: %+v", r)
	}
	if m := dec(10); m.Type != "meetingNotesUpdate" || m.ID != 9 || !strings.Contains(string(m.Raw), `"notes":"hello"`) {
		t.Errorf("unknown message type must be kept raw and still have its id: %+v", m)
	}
}

func TestDecodeRejectsWithReason(t *testing.T) {
	cases := map[string]string{
		`not json`:                    "not a JSON object",
		`[1,2]`:                       "not a JSON object",
		`{"message":{"messageId":1}}`: `no "type"`,
		`{"type":"hello"}`:            `unknown frame type "hello"`,
		`{"type":"message"}`:          `without "message"`,
		`{"type":"message","message":{"type":"x"}}`:                                       "without messageId",
		`{"type":"message","message":{"messageId":1.5,"type":"x"}}`:                       "not an integer",
		`{"type":"message","message":{"messageId":2,"type":"rosterUpdate","updates":{}}}`: "message 2 (rosterUpdate)",
		`{"type":"messageAck"}`:                                  `without "messageAck"`,
		`{"type":"messageAck","messageAck":{"messageId":"one"}}`: "messageAck",
	}
	for in, want := range cases {
		_, err := Decode([]byte(in))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Decode(%s) = %v, want an error mentioning %q", in, err, want)
		}
	}
}

func TestEncode(t *testing.T) {
	if got := string(EncodeAck(42)); got != `{"messageAck":{"messageId":42,"status":"success"},"type":"messageAck"}` {
		t.Errorf("ack: %s", got)
	}
	b := EncodeSubscribeRequest(7, []Subscription{{Index: 1, Type: SubCalls, Elements: []string{"name"}}})
	f, err := Decode(b)
	if err != nil || f.Message.ID != 7 || f.Message.Type != TypeSubscribeRequest || f.Message.SubscribeRequest[0].Elements[0] != "name" {
		t.Errorf("subscribeRequest round trip: %s %v", b, err)
	}
	if strings.Contains(string(b), `"call"`) {
		t.Errorf("calls subscription must not carry a call: %s", b)
	}
}

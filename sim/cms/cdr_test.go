package cmssim

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestCDRFlowAndIndexes(t *testing.T) {
	clk := NewManualClock(epoch)
	s := newSim(t, Options{Clock: clk, Seed: 3})
	cl := addCluster(t, s, ClusterOptions{Name: "Lab"})
	b := cl.Bridges[0]
	early := newSink(t)
	b.AddCDRReceiver(early.url() + "?system_id=cb1")
	cs, _ := cl.CreateCoSpace(CoSpaceOptions{Name: "Weekly", URI: "weekly", CDRTag: "dept-7"})
	call, _ := b.StartCall(CallOptions{CoSpace: cs})
	late := newSink(t) // added after two records: its recordIndex starts at 1 all the same
	b.AddCDRReceiver(late.url())
	clk.Advance(5 * time.Second)
	ada, _ := b.Join(call.ID, LegOptions{Name: "Ada", Remote: "ada@example.com"})
	clk.Advance(65 * time.Second)
	b.Leave(ada.ID)

	recs := early.waitRecords(t, 5)
	want := []string{"callStart", "callLegStart", "callLegUpdate", "callLegEnd", "callEnd"}
	if !slices.Equal(types(recs), want) {
		t.Fatalf("types %v, want %v", types(recs), want)
	}
	for i, r := range recs {
		if r.recordIndex != i+1 || r.corrIndex != i {
			t.Errorf("record %d: recordIndex %d correlatorIndex %d", i, r.recordIndex, r.corrIndex)
		}
	}
	for _, bt := range early.allBatches() {
		if bt.session != b.CDRSession() || bt.bridge != "" || bt.path != "/cdr?system_id=cb1" {
			t.Errorf("envelope: session %q callBridge %q path %q", bt.session, bt.bridge, bt.path)
		}
		if !strings.HasPrefix(string(bt.raw), `<?xml version="1.0"?>`) {
			t.Errorf("batch lacks the XML declaration")
		}
	}
	start := recs[0].inner
	for _, frag := range []string{`<call id="` + call.ID + `">`, "<name>Weekly</name>", "<ownerName/>", "<callType>coSpace</callType>",
		"<coSpace>" + cs + "</coSpace>", "<callCorrelator>" + call.Correlator + "</callCorrelator>", "<cdrTag>dept-7</cdrTag>"} {
		if !strings.Contains(start, frag) {
			t.Errorf("callStart lacks %s: %s", frag, start)
		}
	}
	if recs[0].time != "2026-03-02T09:00:00Z" || recs[3].time != "2026-03-02T09:01:10Z" {
		t.Errorf("times %s %s", recs[0].time, recs[3].time)
	}
	if s := recs[1].inner; !strings.Contains(s, "<direction>incoming</direction>") || strings.Contains(s, "<call>") ||
		!strings.Contains(s, "<remoteParty>ada@example.com</remoteParty>") || !strings.Contains(s, "<localAddress>weekly@") {
		t.Errorf("callLegStart: %s", s)
	}
	if s := recs[2].inner; !strings.Contains(s, "<state>connected</state>") || !strings.Contains(s, "<call>"+call.ID+"</call>") {
		t.Errorf("callLegUpdate: %s", s)
	}
	for _, frag := range []string{"<reason>remoteTeardown</reason>", "<remoteTeardown>true</remoteTeardown>", "<durationSeconds>65</durationSeconds>",
		"<activatedDuration>65</activatedDuration>", "<mediaUsagePercentages>", "<rxAudio><codec>", "<packetStatistics>", "<maxSizeWidth>"} {
		if !strings.Contains(recs[3].inner, frag) {
			t.Errorf("callLegEnd lacks %s: %s", frag, recs[3].inner)
		}
	}
	for _, frag := range []string{"<callLegsCompleted>1</callLegsCompleted>", "<callLegsMaxActive>1</callLegsMaxActive>", "<durationSeconds>70</durationSeconds>"} {
		if !strings.Contains(recs[4].inner, frag) {
			t.Errorf("callEnd lacks %s: %s", frag, recs[4].inner)
		}
	}

	lr := late.waitRecords(t, 4)
	if lr[0].typ != "callLegStart" || lr[0].recordIndex != 1 || lr[0].corrIndex != 1 {
		t.Errorf("late receiver starts with %s recordIndex %d correlatorIndex %d", lr[0].typ, lr[0].recordIndex, lr[0].corrIndex)
	}
	if got := newAPI(t, s, b).get("/system/status").mustOK(t).text("cdrCorrelatorIndex"); got != "5" {
		t.Errorf("cdrCorrelatorIndex %s", got)
	}
}

func TestCDRClusteredEnvelope(t *testing.T) {
	s := newSim(t, Options{})
	cl := addCluster(t, s, ClusterOptions{Name: "London", Bridges: 2})
	k := newSink(t)
	b := cl.Bridges[1]
	b.AddCDRReceiver(k.url())
	b.StartCall(CallOptions{Name: "x"})
	k.waitRecords(t, 1)
	if bt := k.allBatches()[0]; bt.bridge != b.ID() {
		t.Errorf("callBridge attribute %q, want %q", bt.bridge, b.ID())
	}
}

func TestCDRResendUntilAcknowledged(t *testing.T) {
	s := newSim(t, Options{CDRRetryMin: 5 * time.Millisecond, CDRRetryMax: 20 * time.Millisecond})
	cl := addCluster(t, s, ClusterOptions{Name: "Lab"})
	b := cl.Bridges[0]
	k := newSink(t)
	k.always = 500 // refuse until the test has seen the alarm and three posts
	b.AddCDRReceiver(k.url())
	call, _ := b.StartCall(CallOptions{Name: "x"})
	eventually(t, "a failing receiver raises an alarm", func() bool {
		return strings.Contains(string(newAPI(t, s, b).get("/system/alarms").body), "cdrConnectionFailure")
	})
	eventually(t, "three refused posts", func() bool { return len(k.allBatches()) >= 3 })
	k.mu.Lock()
	k.always = 0
	k.mu.Unlock()
	k.waitRecords(t, 1)
	b.Join(call.ID, LegOptions{Name: "Ada"})
	recs := k.waitRecords(t, 3)
	batches := k.allBatches()
	first := -1
	for i, bt := range batches {
		if bt.status == 200 {
			first = i
			break
		}
	}
	if first < 3 {
		t.Fatalf("accepted post %d, want at least 3 refused before it", first)
	}
	for i := 0; i <= first; i++ {
		if string(batches[i].raw) != string(batches[first].raw) {
			t.Errorf("post %d differs from the batch finally accepted", i)
		}
	}
	for i, r := range recs {
		if r.recordIndex != i+1 {
			t.Errorf("record %d has recordIndex %d after re-sends", i, r.recordIndex)
		}
	}
	eventually(t, "the alarm clears", func() bool {
		return !strings.Contains(string(newAPI(t, s, b).get("/system/alarms").body), "cdrConnectionFailure")
	})
	// A receiver answering 204 is not acknowledging.
	k.mu.Lock()
	k.always = 204
	k.mu.Unlock()
	b.EndCall(call.ID)
	eventually(t, "re-sends after 204", func() bool {
		n := 0
		for _, bt := range k.allBatches() {
			if bt.status == 204 {
				n++
			}
		}
		return n >= 2
	})
}

func TestCDRRestartStartsNewSession(t *testing.T) {
	s := newSim(t, Options{})
	cl := addCluster(t, s, ClusterOptions{Name: "Lab"})
	b := cl.Bridges[0]
	k := newSink(t)
	b.AddCDRReceiver(k.url())
	call, _ := b.StartCall(CallOptions{Name: "before"})
	b.Join(call.ID, LegOptions{Name: "Ada"})
	k.waitRecords(t, 3)
	old := b.CDRSession()
	if err := b.Restart(); err != nil {
		t.Fatal(err)
	}
	if b.CDRSession() == old || len(b.Calls()) != 0 {
		t.Fatalf("restart kept session or calls")
	}
	b.StartCall(CallOptions{Name: "after"})
	recs := k.waitRecords(t, 4)
	last := recs[3]
	bt := k.allBatches()
	if bt[len(bt)-1].session != b.CDRSession() || last.typ != "callStart" || last.recordIndex != 1 || last.corrIndex != 0 {
		t.Errorf("after restart: session %q type %s recordIndex %d correlatorIndex %d", bt[len(bt)-1].session, last.typ, last.recordIndex, last.corrIndex)
	}
	// The receiver configuration survives; the API answers again.
	if got := newAPI(t, s, b).get("/system/cdrReceivers").mustOK(t).total(t); got != 1 {
		t.Errorf("receivers after restart: %d", got)
	}
}

func TestCDRBacklogOverflow(t *testing.T) {
	s := newSim(t, Options{CDRBacklog: 5, CDRBatchMax: 2, CDRRetryMin: 5 * time.Millisecond, CDRRetryMax: 5 * time.Millisecond})
	cl := addCluster(t, s, ClusterOptions{Name: "Lab"})
	b := cl.Bridges[0]
	k := newSink(t)
	k.always = 503
	b.AddCDRReceiver(k.url())
	call, _ := b.StartCall(CallOptions{Name: "x", ActiveWhenEmpty: true})
	eventually(t, "the first batch is refused", func() bool { return len(k.allBatches()) > 0 })
	for i := 0; i < 4; i++ { // 12 more records
		l, _ := b.Join(call.ID, LegOptions{Name: "P"})
		b.Leave(l.ID)
	}
	k.mu.Lock()
	k.always = 0
	k.mu.Unlock()
	recs := k.waitRecords(t, 6) // the first batch (1) and the 5 kept
	if recs[0].corrIndex != 0 || recs[0].missing != 0 {
		t.Errorf("first record: %+v", recs[0])
	}
	if recs[1].missing != 7 || recs[1].corrIndex != 8 {
		t.Errorf("record after the gap: missing %d correlatorIndex %d, want 7 and 8", recs[1].missing, recs[1].corrIndex)
	}
	for i, r := range recs {
		if r.recordIndex != i+1 {
			t.Errorf("recordIndex shows a gap: record %d has %d", i, r.recordIndex)
		}
		if i > 1 && r.missing != 0 {
			t.Errorf("record %d repeats numPreceedingRecordsMissing", i)
		}
	}
}

func TestCDRRecordingAndStreaming(t *testing.T) {
	s := newSim(t, Options{})
	cl := addCluster(t, s, ClusterOptions{Name: "Lab"})
	b := cl.Bridges[0]
	k := newSink(t)
	b.AddCDRReceiver(k.url())
	call, _ := b.StartCall(CallOptions{Name: "x"})
	l, _ := b.Join(call.ID, LegOptions{Name: "Ada"})
	a := newAPI(t, s, b)
	a.put("/calls/"+call.ID, "recording", "true", "streaming", "true").mustOK(t)
	if c := a.get("/calls/" + call.ID).mustOK(t); c.text("recording") != "true" || c.text("streaming") != "true" ||
		c.text("recordingStatus") != "active" || c.text("streamingStatus") != "active" {
		t.Errorf("call flags: %s", a.get("/calls/"+call.ID).body)
	}
	a.put("/calls/"+call.ID, "streaming", "false").mustOK(t)
	if c := a.get("/calls/" + call.ID).mustOK(t); c.text("recordingStatus") != "active" || c.text("streamingStatus") != "inactive" {
		t.Errorf("call status after streaming=false: %s", a.get("/calls/"+call.ID).body)
	}
	b.Leave(l.ID) // the call ends and stops the recording
	recs := k.waitRecords(t, 9)
	want := []string{"callStart", "callLegStart", "callLegUpdate", "recordingStart", "streamingStart", "streamingEnd", "callLegEnd", "recordingEnd", "callEnd"}
	if !slices.Equal(types(recs), want) {
		t.Fatalf("types %v, want %v", types(recs), want)
	}
	if !strings.Contains(recs[3].inner, "<recording id=") || !strings.Contains(recs[3].inner, "<call>"+call.ID+"</call>") || recs[3].id != recs[7].id {
		t.Errorf("recording records: %s / %s", recs[3].inner, recs[7].inner)
	}
	if !strings.Contains(recs[4].inner, "<streaming id=") || !strings.Contains(recs[4].inner, "<streamUrl>") {
		t.Errorf("streamingStart: %s", recs[4].inner)
	}
}

func TestCDRDialOutFailureAndMove(t *testing.T) {
	s := newSim(t, Options{})
	cl := addCluster(t, s, ClusterOptions{Name: "Lab"})
	b := cl.Bridges[0]
	k := newSink(t)
	b.AddCDRReceiver(k.url())
	b.SetDialOutRule(func(remote string) string {
		if remote == "busy@example.com" {
			return "destinationBusy"
		}
		return ""
	})
	one, _ := b.StartCall(CallOptions{Name: "one", ActiveWhenEmpty: true})
	two, _ := b.StartCall(CallOptions{Name: "two", ActiveWhenEmpty: true})
	b.Join(one.ID, LegOptions{Name: "Busy", Remote: "busy@example.com", Outgoing: true})
	ada, _ := b.Join(one.ID, LegOptions{Name: "Ada"})
	moved, err := b.Move(ada.ParticipantID, two.ID)
	if err != nil {
		t.Fatal(err)
	}
	recs := k.waitRecords(t, 9)
	want := []string{"callStart", "callStart", "callLegStart", "callLegEnd", "callLegStart", "callLegUpdate", "callLegEnd", "callLegStart", "callLegUpdate"}
	if !slices.Equal(types(recs), want) {
		t.Fatalf("types %v, want %v", types(recs), want)
	}
	if s := recs[2].inner; !strings.Contains(s, "<direction>outgoing</direction>") || !strings.Contains(s, "<call>"+one.ID+"</call>") {
		t.Errorf("dial-out start: %s", s)
	}
	if s := recs[3].inner; !strings.Contains(s, "<reason>destinationBusy</reason>") || strings.Contains(s, "mediaUsagePercentages") {
		t.Errorf("failed dial-out end: %s", s)
	}
	if s := recs[7].inner; !strings.Contains(s, "<movedCallLeg>"+ada.ID+"</movedCallLeg>") || recs[7].id != moved.ID {
		t.Errorf("moved leg start: %s", s)
	}
}

// TestCDRLegStartCall: callLegStart names the call for a dial-out and for an
// incoming Web app (acano) leg, as in the 2017 capture, but not for an
// incoming SIP leg, as in the CDR guide's example flow.
func TestCDRLegStartCall(t *testing.T) {
	s := newSim(t, Options{})
	cl := addCluster(t, s, ClusterOptions{Name: "Lab"})
	b := cl.Bridges[0]
	k := newSink(t)
	b.AddCDRReceiver(k.url())
	call, _ := b.StartCall(CallOptions{Name: "x", ActiveWhenEmpty: true})
	web, _ := b.Join(call.ID, LegOptions{Name: "Web guest", Guest: true})
	lobby, _ := b.Join(call.ID, LegOptions{Name: "Lobby guest", Guest: true, NeedsActivation: true})
	sip, _ := b.Join(call.ID, LegOptions{Name: "Room"})
	out, _ := b.Join(call.ID, LegOptions{Name: "Out", Outgoing: true})
	starts := map[string]string{}
	eventually(t, "four callLegStarts", func() bool {
		for _, r := range k.accepted() {
			if r.typ == "callLegStart" {
				starts[r.id] = r.inner
			}
		}
		return len(starts) == 4
	})
	has := "<call>" + call.ID + "</call>"
	for _, c := range []struct {
		name, id string
		want     bool
	}{{"web", web.ID, true}, {"lobby web", lobby.ID, true}, {"sip", sip.ID, false}, {"dial-out", out.ID, true}} {
		st, ok := starts[c.id]
		if !ok {
			t.Errorf("%s: no callLegStart", c.name)
			continue
		}
		if strings.Contains(st, has) != c.want {
			t.Errorf("%s callLegStart, want call %v: %s", c.name, c.want, st)
		}
	}
	if st := starts[web.ID]; !strings.Contains(st, "<type>acano</type>") || !strings.Contains(st, "<direction>incoming</direction>") {
		t.Errorf("web leg start: %s", st)
	}
}

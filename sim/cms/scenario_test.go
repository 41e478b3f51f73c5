package cmssim

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"
)

// scenarioTrace runs a small scenario on a fresh simulator and returns
// everything observable it produced: every CDR each bridge sent, in order,
// and the calls/roster events one events client saw.
func scenarioTrace(t *testing.T, seed uint64, clock Clock, drive func(done <-chan error) error) []string {
	t.Helper()
	s := newSim(t, Options{Seed: seed, Clock: clock})
	addCluster(t, s, ClusterOptions{Name: "London", Bridges: 2})
	addCluster(t, s, ClusterOptions{Name: "Oslo"})
	bridges := s.Bridges()
	sinks := make([]*cdrSink, len(bridges))
	for i, b := range bridges {
		sinks[i] = newSink(t)
		if _, err := b.AddCDRReceiver(sinks[i].url()); err != nil {
			t.Fatal(err)
		}
	}
	ev := connectEvents(t, s, bridges[0])
	ev.subscribe(map[string]any{"index": 1, "type": "calls"})
	ev.expect("subscriptionUpdate")

	sc := QuietLab()
	sc.InitialMeetings, sc.MeetingsPerMinute = 3, 0.5
	sc.MeetingDuration = 8 * time.Minute
	sc.DistributedShare, sc.RecordingShare, sc.StreamingShare = 0.5, 0.5, 0.3
	sc.Start, sc.Duration = epoch, 30*time.Minute
	done := make(chan error, 1)
	go func() { done <- s.RunScenario(context.Background(), sc) }()
	if err := drive(done); err != nil {
		t.Fatalf("scenario: %v", err)
	}
	var trace []string
	for i, b := range bridges {
		eventually(t, "CDR delivery", func() bool {
			_, _, queued := b.CDRStats(sinks[i].url())
			return queued == 0
		})
		for _, r := range sinks[i].accepted() {
			trace = append(trace, fmt.Sprintf("bridge%d %s %s ri=%d ci=%d %s", i, r.typ, r.time, r.recordIndex, r.corrIndex, r.inner))
		}
	}
	// Every event was queued before RunScenario returned; read until the
	// bridge has nothing queued or unacknowledged for this client.
	for {
		_, body, err := ev.next(200 * time.Millisecond)
		if err == nil {
			if body != nil {
				data, _ := json.Marshal(body)
				trace = append(trace, "event "+string(data))
			}
			continue
		}
		if drained(bridges[0]) {
			break
		}
	}
	return trace
}

func manualDrive(clk *ManualClock) func(<-chan error) error {
	return func(done <-chan error) error {
		for {
			select {
			case err := <-done:
				return err
			default:
				clk.Advance(20 * time.Second)
				time.Sleep(200 * time.Microsecond)
			}
		}
	}
}

func waitDone(done <-chan error) error { return <-done }

func TestScenarioIsDeterministic(t *testing.T) {
	clk1 := NewManualClock(epoch)
	first := scenarioTrace(t, 42, clk1, manualDrive(clk1))
	clk2 := NewManualClock(epoch)
	second := scenarioTrace(t, 42, clk2, manualDrive(clk2))
	// The same schedule on an accelerated clock (30 simulated minutes in
	// about 0.2 s) produces the same records and events.
	third := scenarioTrace(t, 42, NewAcceleratedClock(epoch, 9000), waitDone)
	fourth := scenarioTrace(t, 42, NewAcceleratedClock(epoch, 9000), waitDone)

	counts := map[string]int{}
	for _, line := range first {
		var who, kind string
		fmt.Sscanf(line, "%s %s", &who, &kind)
		if who == "event" {
			kind = "events"
		}
		counts[kind]++
	}
	if len(first) < 50 || counts["callStart"] < 3 || counts["callLegEnd"] < 5 || counts["recordingStart"] == 0 || counts["events"] < 10 {
		t.Fatalf("scenario too thin to prove anything: %d lines, %v", len(first), counts)
	}
	for name, other := range map[string][]string{"second manual run": second, "accelerated run": third, "second accelerated run": fourth} {
		if !slices.Equal(first, other) {
			for i := range min(len(first), len(other)) {
				if first[i] != other[i] {
					t.Fatalf("%s differs at line %d of %d/%d:\n%s\n%s", name, i, len(first), len(other), first[i], other[i])
				}
			}
			t.Fatalf("%s has %d lines, want %d", name, len(other), len(first))
		}
	}
	clk5 := NewManualClock(epoch)
	if other := scenarioTrace(t, 43, clk5, manualDrive(clk5)); slices.Equal(first, other) {
		t.Errorf("a different seed produced the same traffic")
	}
}

func TestScenarioRunsUntilCancelled(t *testing.T) {
	s := newSim(t, Options{Clock: NewAcceleratedClock(epoch, 600)})
	addCluster(t, s, ClusterOptions{Name: "Lab", Bridges: 2})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.RunScenario(ctx, BusyCluster()) }()
	eventually(t, "traffic", func() bool {
		n := 0
		for _, b := range s.Bridges() {
			n += len(b.Legs())
		}
		return n >= 50
	})
	cancel()
	if err := <-done; err != context.Canceled {
		t.Errorf("RunScenario returned %v", err)
	}
	if _, err := ScenarioByName("enormous"); err == nil {
		t.Errorf("unknown preset accepted")
	}
}

// drained reports whether every events session of b has sent, and seen
// acknowledged, everything it queued.
func drained(b *Bridge) bool {
	for _, s := range b.hub.list() {
		s.mu.Lock()
		busy := len(s.queue) > 0 || len(s.unacked) > 0
		s.mu.Unlock()
		if busy {
			return false
		}
	}
	return true
}

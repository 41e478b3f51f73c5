package licensing

import (
	"slices"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/server/licensing/compliance"
)

var day0 = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

// peaks gives every usage type a flat series of 90 daily peaks ending on
// the day of now, with overrides by type: value per day index from the
// start (scaled by Scale).
func peaks(now time.Time, set map[string]map[int]int) map[string][]compliance.DayPeak {
	out := map[string][]compliance.DayPeak{}
	first := compliance.WindowStart(now)
	for _, typ := range append(slices.Clone(Types), TypeSMPPlus) {
		ps := make([]compliance.DayPeak, compliance.Window)
		for i := range ps {
			ps[i] = compliance.DayPeak{Day: first.AddDate(0, 0, i), Peak: set[typ][i] * Scale}
		}
		out[typ] = ps
	}
	return out
}

var testDurations = compliance.Durations{ToAlarm2: 10 * 24 * time.Hour, ToAlarm3: 5 * 24 * time.Hour}

func boxesAt(in scopeInput) (map[string]Box, time.Time) {
	if in.durations == (compliance.Durations{}) {
		in.durations = testDurations
	}
	if in.peaks == nil {
		in.peaks = peaks(in.now, nil)
	}
	bs, since := evaluateScope(in)
	out := map[string]Box{}
	for _, b := range bs {
		out[b.Feature] = b
	}
	return out, since
}

// The Meetings status is the worst of PMP Plus and SMP Plus (LI-14).
func TestMeetingsIsWorstOfItsTypes(t *testing.T) {
	now := day0.AddDate(0, 0, 100)
	// SMP Plus over its 10 on three days; PMP Plus well within its 100.
	p := peaks(now, map[string]map[int]int{TypeSMPPlus: {3: 11, 40: 12, 89: 11}, TypePMP: {10: 20}})
	b, _ := boxesAt(scopeInput{now: now, peaks: p, alloc: Allocations{PMPPlus: 100, SMPPlus: 10}})
	m := b[FeatureMeetings]
	if m.Status != StatusInsufficient || m.Types[0].Status != StatusInCompliance || m.Types[1].DaysOver != 3 || m.Types[1].Peak != 12 {
		t.Fatalf("meetings: %+v", m)
	}
	if m.Warning.Stage != StageNone {
		t.Fatalf("insufficient licences start no countdown: %+v", m.Warning)
	}
}

// After a Meetings trial with nothing allocated: Meetings unlicensed with
// enforcement counting, the other features not available (LI-32); the
// countdown moves exactly at d1 and d1 + d2 and clears once licences are
// added (LI-38).
func TestAfterMeetingsTrial(t *testing.T) {
	started := day0
	ts := compliance.Trials{compliance.Meetings: {Start: started}}
	during := started.Add(89 * 24 * time.Hour)
	b, since := boxesAt(scopeInput{now: during, trials: ts})
	if b[FeatureMeetings].Status != StatusInCompliance || b[FeatureCustomization].Status != StatusLicensed ||
		b[FeatureRecordingStreaming].Status != StatusInCompliance || !since.IsZero() {
		t.Fatalf("during the trial: %+v", b)
	}
	if w := b[FeatureCustomization].Warning; w.Stage != StageCountdown || w.Message != "Available for 1 more day" {
		t.Fatalf("last trial day: %+v", w)
	}

	end := started.Add(compliance.TrialLength)
	b, since = boxesAt(scopeInput{now: end, trials: ts})
	m := b[FeatureMeetings]
	if m.Status != StatusUnlicensed || m.Warning.Stage != StageAlarm1 || m.Warning.Message != "Enforcement in 10 days" || !since.Equal(end) {
		t.Fatalf("trial over: %+v since %v", m, since)
	}
	for _, f := range []string{FeatureRecordingStreaming, FeatureCustomization} {
		if b[f].Status != StatusUnlicensed || b[f].Warning.Stage != StageNotAvailable || b[f].Warning.Message != "Not available" {
			t.Fatalf("%s after the Meetings trial: %+v", f, b[f])
		}
		// Its own trial was not used: the Meetings trial does not count as one (LI-25).
		if !b[f].Trial.Available {
			t.Fatalf("%s trial not offered after the Meetings trial", f)
		}
	}
	at := func(d time.Duration) Stage {
		b, _ := boxesAt(scopeInput{now: end.Add(d), trials: ts, since: since})
		return b[FeatureMeetings].Warning.Stage
	}
	if at(10*24*time.Hour-time.Second) != StageAlarm1 || at(10*24*time.Hour) != StageAlarm2 ||
		at(15*24*time.Hour-time.Second) != StageAlarm2 || at(15*24*time.Hour) != StageAlarm3 {
		t.Fatal("the countdown does not move exactly at d1 and d1 + d2")
	}
	b, since = boxesAt(scopeInput{now: end.Add(12 * 24 * time.Hour), trials: ts, since: since, alloc: Allocations{PMPPlus: 5}})
	if b[FeatureMeetings].Warning.Stage != StageNone || !since.IsZero() {
		t.Fatalf("licences added: %+v", b[FeatureMeetings].Warning)
	}
}

// Customization in Smart mode: allocated Yes while SSM has none is out of
// compliance, with both remedies (LI-19, LI-44); never in Traditional.
func TestCustomizationCompliance(t *testing.T) {
	now := day0
	b, _ := boxesAt(scopeInput{now: now, alloc: Allocations{Customization: true}, ssm: map[string]int{"customization": 0}})
	if c := b[FeatureCustomization]; c.Status != StatusOutOfCompliance || len(c.Remedies) != 2 || !c.SSMShortfall {
		t.Fatalf("smart, no SSM licence: %+v", c)
	}
	b, _ = boxesAt(scopeInput{now: now, alloc: Allocations{Customization: true}, ssm: map[string]int{"customization": 1}})
	if c := b[FeatureCustomization]; c.Status != StatusLicensed || c.Trial.Available {
		t.Fatalf("smart, SSM licence: %+v", c)
	}
	b, _ = boxesAt(scopeInput{now: now, alloc: Allocations{Customization: true}, traditional: true})
	if c := b[FeatureCustomization]; c.Status != StatusLicensed {
		t.Fatalf("traditional: %+v", c)
	}
	b, _ = boxesAt(scopeInput{now: now})
	if c := b[FeatureCustomization]; c.Status != StatusUnlicensed || !c.Trial.Available {
		t.Fatalf("unlicensed: %+v", c)
	}
}

// SSM counting fewer licences than allocated is reported beside the
// usage-based status, which it does not change (LI-47).
func TestSSMShortfall(t *testing.T) {
	b, _ := boxesAt(scopeInput{now: day0, alloc: Allocations{PMPPlus: 50}, ssm: map[string]int{AllocPMPPlus: 40}})
	if m := b[FeatureMeetings]; !m.SSMShortfall || m.Status != StatusInCompliance || m.SSMPurchased[AllocPMPPlus] != 40 {
		t.Fatalf("shortfall: %+v", m)
	}
}

// A missing activation key is high enforcement whatever the usage (LI-42).
func TestMissingActivationKey(t *testing.T) {
	b, _ := boxesAt(scopeInput{now: day0, alloc: Allocations{PMPPlus: 50}, traditional: true, missingKey: []string{"cb1", "cb2"}})
	if w := b[FeatureMeetings].Warning; w.Stage != StageAlarm3 || w.Reason != "no activation key on cb1 and cb2" {
		t.Fatalf("missing key: %+v", w)
	}
}

// The document on a cluster keeps every trial marker and the other
// instances' licensing times, and is rewritten only on a change or to
// refresh this instance's time (LI-30, RS-04).
func TestBridgeDocMerge(t *testing.T) {
	now := day0
	cur, ok := parseBridgeDoc(`{"format":"switchboard.licensing/1","instance":"other","mode":"smart",` +
		`"licensing":{"other":"2026-02-28T23:30:00Z","stale":"2025-01-01T00:00:00Z"},` +
		`"trials":{"customization":{"start":"2026-01-01T00:00:00Z","instance":"other"}}}`)
	if !ok {
		t.Fatal("own format not recognised")
	}
	if inst, other := cur.otherLicensing("me", now); !other || inst != "other" {
		t.Fatal("another instance licensing 30 minutes ago is not seen")
	}
	next := cur.merged("me", ModeSmart, now, [3]featureDoc{{Status: "inCompliance", Enforcement: "none", Available: true}},
		trials{FeatureMeetings: now, FeatureCustomization: now})
	if next.Trials[FeatureCustomization].Instance != "other" || !next.Trials[FeatureMeetings].Start.Equal(now) {
		t.Fatalf("markers: %+v", next.Trials)
	}
	if _, ok := next.Licensing["stale"]; ok || next.Licensing["me"] != now {
		t.Fatalf("licensing times: %+v", next.Licensing)
	}
	if cur.sameState(next, "me", now) {
		t.Fatal("a change is not written")
	}
	again := next.merged("me", ModeSmart, now.Add(10*time.Minute), [3]featureDoc{{Status: "inCompliance", Enforcement: "none", Available: true}}, nil)
	if !next.sameState(again, "me", now.Add(10*time.Minute)) {
		t.Fatal("an unchanged state is rewritten within 30 minutes")
	}
	if next.sameState(again, "me", now.Add(31*time.Minute)) {
		t.Fatal("this instance's licensing time is never refreshed")
	}
	if _, ok := parseBridgeDoc(`<cmm private="yes"/>`); ok {
		t.Fatal("a foreign document is taken for ours")
	}
}

package licensing

import (
	"fmt"
	"time"

	"github.com/switchboardhq/switchboard/server/licensing/compliance"
)

// Status is a feature's licence status as the API shows it (LI-15, LI-19).
type Status string

// The statuses.
const (
	StatusUnlicensed      Status = "unlicensed"
	StatusInCompliance    Status = "inCompliance"
	StatusOverThreshold   Status = "overThreshold"
	StatusInsufficient    Status = "insufficient"
	StatusOutOfCompliance Status = "outOfCompliance"
	StatusLicensed        Status = "licensed"
)

func statusOf(l compliance.Level) Status {
	switch l {
	case compliance.InCompliance:
		return StatusInCompliance
	case compliance.Over80:
		return StatusOverThreshold
	case compliance.Insufficient:
		return StatusInsufficient
	case compliance.OutOfCompliance:
		return StatusOutOfCompliance
	}
	return StatusUnlicensed
}

// Stage is a feature's enforcement warning (LI-36, LI-39).
type Stage string

// The stages.
const (
	StageNone         Stage = "none"
	StageAlarm1       Stage = "alarm1"
	StageAlarm2       Stage = "alarm2"
	StageAlarm3       Stage = "alarm3"
	StageCountdown    Stage = "countdown"
	StageNotAvailable Stage = "notAvailable"
)

// Warning is the enforcement warning of a box.
type Warning struct {
	Stage    Stage
	DaysLeft int
	Next     time.Time
	Message  string // as shown: "Enforcement in 12 days"
	Reason   string
}

// TrialView is a feature's trial as the box shows it.
type TrialView struct {
	Available, Active, Used bool
	DaysLeft                int
	Start, End              time.Time // zero when never started
	CoveredByMeetings       bool
}

// TypeView is one licence type of a box.
type TypeView struct {
	Type         string // an allocation type: pmpPlus, smpPlus, recording, streaming
	Allocated    int
	Peak         float64 // the 90-day peak (LI-50)
	DaysOver     int
	Status       Status
	NotInstalled bool // Traditional: in use, nothing installed (LI-22)
}

// The allocation types and the usage type each is measured by.
const (
	AllocPMPPlus   = "pmpPlus"
	AllocSMPPlus   = "smpPlus"
	AllocRecording = "recording"
	AllocStreaming = "streaming"
)

// usageOf maps an allocation type to its usage type.
var usageOf = map[string]string{
	AllocPMPPlus:   TypePMP,
	AllocSMPPlus:   TypeSMPPlus,
	AllocRecording: TypeRecording,
	AllocStreaming: TypeStreaming,
}

// Box is one feature of the Licenses view (LI-40, LI-46).
type Box struct {
	Feature  string
	Status   Status
	Warning  Warning
	Trial    TrialView
	Types    []TypeView
	Licensed bool // the feature has licences (or Customization is allocated)
	// CustomizationAllocated: allocated Yes (Smart) or installed
	// (Traditional).
	CustomizationAllocated bool
	// SSMShortfall is set in Smart mode once SSM's counts are known:
	// whether SSM counts fewer purchased licences than allocated (LI-47).
	SSMKnown, SSMShortfall bool
	SSMPurchased           map[string]int
	Remedies               []string
}

// Scope is the status of the deployment (Smart) or of one cluster
// (Traditional).
type Scope struct {
	Key         string // DeploymentScope or the cluster id
	ClusterID   int    // 0 for the deployment
	ClusterName string
	Boxes       []Box // Meetings, Recording or streaming, Customization
}

// scopeInput is what the status of a scope is computed from.
type scopeInput struct {
	now         time.Time
	peaks       map[string][]compliance.DayPeak // scaled, by usage type
	alloc       Allocations
	traditional bool
	trials      compliance.Trials
	since       time.Time // Alarm 1 start, zero when none
	missingKey  []string  // Traditional: bridges without an activation key
	durations   compliance.Durations
	// ssm is what SSM counts as purchased (Smart), nil when unknown;
	// ssmReported the types SSM's last usage-report answer found out of
	// compliance.
	ssm         map[string]int
	ssmReported map[string]bool
}

// evaluateScope computes the three boxes and the new Alarm 1 start.
func evaluateScope(in scopeInput) (boxes []Box, since time.Time) {
	meet, since := meetingsBox(in)
	return []Box{meet, recordingBox(in), customizationBox(in)}, since
}

func typeInputs(in scopeInput, types ...string) ([]compliance.TypeInput, []int) {
	allocs := map[string]int{AllocPMPPlus: in.alloc.PMPPlus, AllocSMPPlus: in.alloc.SMPPlus,
		AllocRecording: in.alloc.Recording, AllocStreaming: in.alloc.Streaming}
	out := make([]compliance.TypeInput, len(types))
	raw := make([]int, len(types))
	for i, t := range types {
		raw[i] = allocs[t]
		out[i] = compliance.TypeInput{Type: t, Peaks: in.peaks[usageOf[t]], Allocation: allocs[t] * Scale}
	}
	return out, raw
}

func typeViews(in scopeInput, inputs []compliance.TypeInput, allocs []int, sts []compliance.TypeStatus) []TypeView {
	out := make([]TypeView, len(inputs))
	for i, t := range inputs {
		out[i] = TypeView{Type: t.Type, Allocated: allocs[i], Peak: unscale(sts[i].Peak), DaysOver: sts[i].DaysOver,
			Status: statusOf(sts[i].Level), NotInstalled: in.traditional && allocs[i] == 0 && sts[i].Peak > 0}
	}
	return out
}

func trialView(in scopeInput, f compliance.Feature, licensed bool) TrialView {
	t := in.trials[f]
	v := TrialView{Available: in.trials.Offered(f, licensed), Active: t.Active(in.now), Used: t.Used(),
		DaysLeft: t.DaysLeft(in.now)}
	if t.Used() {
		v.Start, v.End = t.Start, t.Start.Add(compliance.TrialLength)
	}
	v.CoveredByMeetings = f != compliance.Meetings && !v.Active && in.trials[compliance.Meetings].Active(in.now)
	return v
}

func meetingsBox(in scopeInput) (Box, time.Time) {
	inputs, allocs := typeInputs(in, AllocPMPPlus, AllocSMPPlus)
	trial := in.trials.Covers(compliance.Meetings, in.now)
	level, sts := compliance.FeatureStatus(in.now, trial, inputs...)
	b := Box{Feature: FeatureMeetings, Status: statusOf(level), Types: typeViews(in, inputs, allocs, sts),
		Licensed: in.alloc.PMPPlus > 0 || in.alloc.SMPPlus > 0}
	b.Trial = trialView(in, compliance.Meetings, b.Licensed)
	// Alarm 1 starts when Meetings is out of compliance, or unlicensed
	// once its trial is over (LI-32, LI-38).
	afterTrial := !b.Licensed && !trial && in.trials[compliance.Meetings].Ended(in.now)
	e := compliance.Enforcement{Since: in.since}.Advance(level == compliance.OutOfCompliance || afterTrial, in.now)
	st := e.Stage(in.durations, len(in.missingKey) > 0, in.now)
	b.Warning = alarmWarning(st)
	if len(in.missingKey) > 0 {
		b.Warning.Reason = fmt.Sprintf("no activation key on %s", joinNames(in.missingKey))
		b.Remedies = append(b.Remedies, "Install the Call Bridge activation key on every bridge of the cluster.")
	}
	if in.ssm != nil {
		b.SSMKnown = true
		b.SSMPurchased = map[string]int{AllocPMPPlus: in.ssm[AllocPMPPlus], AllocSMPPlus: in.ssm[AllocSMPPlus]}
		b.SSMShortfall = in.ssm[AllocPMPPlus] < in.alloc.PMPPlus || in.ssm[AllocSMPPlus] < in.alloc.SMPPlus ||
			in.ssmReported[AllocPMPPlus] || in.ssmReported[AllocSMPPlus]
	}
	return b, e.Since
}

func alarmWarning(st compliance.Stage) Warning {
	switch st.Alarm {
	case compliance.Alarm1:
		return Warning{Stage: StageAlarm1, DaysLeft: st.DaysLeft, Next: st.Next,
			Message: fmt.Sprintf("Enforcement in %s", days(st.DaysLeft))}
	case compliance.Alarm2:
		return Warning{Stage: StageAlarm2, DaysLeft: st.DaysLeft, Next: st.Next,
			Message: fmt.Sprintf("Enforcement active, high enforcement in %s", days(st.DaysLeft))}
	case compliance.Alarm3:
		return Warning{Stage: StageAlarm3, Message: "High enforcement active"}
	}
	return Warning{Stage: StageNone}
}

func availabilityWarning(a compliance.Availability, licensed bool, until time.Time) Warning {
	switch {
	case licensed:
		return Warning{Stage: StageNone}
	case a.Available:
		return Warning{Stage: StageCountdown, DaysLeft: a.DaysLeft, Next: until,
			Message: fmt.Sprintf("Available for %s", moreDays(a.DaysLeft))}
	}
	return Warning{Stage: StageNotAvailable, Message: "Not available"}
}

// trialEnd is when the trial covering f ends (its own, else Meetings').
func trialEnd(ts compliance.Trials, f compliance.Feature, now time.Time) time.Time {
	if ts[f].Active(now) {
		return ts[f].Start.Add(compliance.TrialLength)
	}
	if ts[compliance.Meetings].Active(now) {
		return ts[compliance.Meetings].Start.Add(compliance.TrialLength)
	}
	return time.Time{}
}

func recordingBox(in scopeInput) Box {
	inputs, allocs := typeInputs(in, AllocRecording, AllocStreaming)
	trial := in.trials.Covers(compliance.RecordingStreaming, in.now)
	level, sts := compliance.FeatureStatus(in.now, trial, inputs...)
	b := Box{Feature: FeatureRecordingStreaming, Status: statusOf(level), Types: typeViews(in, inputs, allocs, sts),
		Licensed: in.alloc.Recording > 0 || in.alloc.Streaming > 0}
	b.Trial = trialView(in, compliance.RecordingStreaming, b.Licensed)
	b.Warning = availabilityWarning(in.trials.Available(compliance.RecordingStreaming, b.Licensed, in.now), b.Licensed,
		trialEnd(in.trials, compliance.RecordingStreaming, in.now))
	if in.ssm != nil {
		b.SSMKnown = true
		b.SSMPurchased = map[string]int{"recordingStreaming": in.ssm["recordingStreaming"]}
		b.SSMShortfall = in.ssm["recordingStreaming"] < in.alloc.Recording+in.alloc.Streaming || in.ssmReported["recordingStreaming"]
	}
	return b
}

func customizationBox(in scopeInput) Box {
	b := Box{Feature: FeatureCustomization, CustomizationAllocated: in.alloc.Customization}
	trial := in.trials.Covers(compliance.Customization, in.now)
	outOfCompliance := !in.traditional && in.alloc.Customization && in.ssm != nil && in.ssm["customization"] == 0
	switch {
	case outOfCompliance:
		// Allocated Yes while SSM has no customization licence (LI-19):
		// either remedy clears it (LI-44).
		b.Status = StatusOutOfCompliance
		b.Remedies = []string{"Set the Customization allocation to No.",
			"Add a customization licence to the Smart account, then renew the authorization."}
	case in.alloc.Customization || trial:
		b.Status = StatusLicensed
	default:
		b.Status = StatusUnlicensed
	}
	b.Licensed = in.alloc.Customization
	b.Trial = trialView(in, compliance.Customization, b.Licensed)
	b.Warning = availabilityWarning(in.trials.Available(compliance.Customization, b.Licensed, in.now), b.Licensed,
		trialEnd(in.trials, compliance.Customization, in.now))
	if in.ssm != nil {
		b.SSMKnown = true
		b.SSMPurchased = map[string]int{"customization": in.ssm["customization"]}
		b.SSMShortfall = outOfCompliance
	}
	return b
}

func days(n int) string {
	if n == 1 {
		return "1 day"
	}
	return fmt.Sprintf("%d days", n)
}

func moreDays(n int) string {
	if n == 1 {
		return "1 more day"
	}
	return fmt.Sprintf("%d more days", n)
}

func joinNames(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	out := names[0]
	for _, n := range names[1 : len(names)-1] {
		out += ", " + n
	}
	return out + " and " + names[len(names)-1]
}

package licensingv1

import (
	"context"
	"strconv"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	licensingv1 "github.com/switchboardhq/switchboard/gen/switchboard/licensing/v1"
	"github.com/switchboardhq/switchboard/server/licensing"
	"github.com/switchboardhq/switchboard/server/platform/errs"
)

var modes = map[licensing.Mode]licensingv1.LicensingMode{
	licensing.ModeUnset:       licensingv1.LicensingMode_LICENSING_MODE_UNSET,
	licensing.ModeSmart:       licensingv1.LicensingMode_LICENSING_MODE_SMART,
	licensing.ModeTraditional: licensingv1.LicensingMode_LICENSING_MODE_TRADITIONAL,
	licensing.ModeNone:        licensingv1.LicensingMode_LICENSING_MODE_NONE,
}

var features = map[string]licensingv1.Feature{
	licensing.FeatureMeetings:           licensingv1.Feature_FEATURE_MEETINGS,
	licensing.FeatureRecordingStreaming: licensingv1.Feature_FEATURE_RECORDING_STREAMING,
	licensing.FeatureCustomization:      licensingv1.Feature_FEATURE_CUSTOMIZATION,
}

var statuses = map[licensing.Status]licensingv1.LicenseStatus{
	licensing.StatusUnlicensed:      licensingv1.LicenseStatus_LICENSE_STATUS_UNLICENSED,
	licensing.StatusInCompliance:    licensingv1.LicenseStatus_LICENSE_STATUS_IN_COMPLIANCE,
	licensing.StatusOverThreshold:   licensingv1.LicenseStatus_LICENSE_STATUS_OVER_THRESHOLD,
	licensing.StatusInsufficient:    licensingv1.LicenseStatus_LICENSE_STATUS_INSUFFICIENT,
	licensing.StatusOutOfCompliance: licensingv1.LicenseStatus_LICENSE_STATUS_OUT_OF_COMPLIANCE,
	licensing.StatusLicensed:        licensingv1.LicenseStatus_LICENSE_STATUS_LICENSED,
}

var stages = map[licensing.Stage]licensingv1.EnforcementStage{
	licensing.StageNone:         licensingv1.EnforcementStage_ENFORCEMENT_STAGE_NONE,
	licensing.StageAlarm1:       licensingv1.EnforcementStage_ENFORCEMENT_STAGE_ALARM_1,
	licensing.StageAlarm2:       licensingv1.EnforcementStage_ENFORCEMENT_STAGE_ALARM_2,
	licensing.StageAlarm3:       licensingv1.EnforcementStage_ENFORCEMENT_STAGE_ALARM_3,
	licensing.StageCountdown:    licensingv1.EnforcementStage_ENFORCEMENT_STAGE_AVAILABLE_COUNTDOWN,
	licensing.StageNotAvailable: licensingv1.EnforcementStage_ENFORCEMENT_STAGE_NOT_AVAILABLE,
}

var allocationTypes = map[string]licensingv1.AllocationType{
	licensing.AllocPMPPlus:   licensingv1.AllocationType_ALLOCATION_TYPE_PMP_PLUS,
	licensing.AllocSMPPlus:   licensingv1.AllocationType_ALLOCATION_TYPE_SMP_PLUS,
	licensing.AllocRecording: licensingv1.AllocationType_ALLOCATION_TYPE_RECORDING,
	licensing.AllocStreaming: licensingv1.AllocationType_ALLOCATION_TYPE_STREAMING,
}

// GetLicensingMode implements LicensingService.GetLicensingMode.
func (h *Handler) GetLicensingMode(ctx context.Context, _ *connect.Request[licensingv1.GetLicensingModeRequest]) (*connect.Response[licensingv1.GetLicensingModeResponse], error) {
	m, trad, err := h.svc.Mode(ctx)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&licensingv1.GetLicensingModeResponse{Mode: modes[m], TraditionalAvailable: trad}), nil
}

// SetLicensingMode implements LicensingService.SetLicensingMode.
func (h *Handler) SetLicensingMode(ctx context.Context, req *connect.Request[licensingv1.SetLicensingModeRequest]) (*connect.Response[licensingv1.SetLicensingModeResponse], error) {
	var mode licensing.Mode
	switch req.Msg.GetMode() {
	case licensingv1.LicensingMode_LICENSING_MODE_SMART:
		mode = licensing.ModeSmart
	case licensingv1.LicensingMode_LICENSING_MODE_TRADITIONAL:
		mode = licensing.ModeTraditional
	case licensingv1.LicensingMode_LICENSING_MODE_NONE:
		mode = licensing.ModeNone
	default:
		return nil, errs.Invalid("mode", "must be SMART, TRADITIONAL or NONE")
	}
	ch, err := h.svc.SetMode(ctx, mode, req.Msg.GetAcknowledgeOtherInstanceLicenses())
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&licensingv1.SetLicensingModeResponse{Mode: modes[ch.Mode],
		Deregistered: ch.Deregistered, SsmNotified: ch.SSMNotified}), nil
}

// GetLicenseDetails implements LicensingService.GetLicenseDetails.
func (h *Handler) GetLicenseDetails(ctx context.Context, req *connect.Request[licensingv1.GetLicenseDetailsRequest]) (*connect.Response[licensingv1.GetLicenseDetailsResponse], error) {
	clusterID, err := parseCluster(req.Msg.GetClusterId())
	if err != nil {
		return nil, err
	}
	snap, sc, err := h.svc.Details(ctx, clusterID)
	if err != nil {
		return nil, err
	}
	out := &licensingv1.GetLicenseDetailsResponse{Mode: modes[snap.Mode], EvaluateTime: timestamppb.New(snap.Time),
		UsageBackfillInProgress: h.lic.BackfillInProgress()}
	if sc != nil {
		if sc.ClusterID != 0 {
			out.ClusterId = strconv.Itoa(sc.ClusterID)
		}
		for _, b := range sc.Boxes {
			out.Features = append(out.Features, featureBox(b))
		}
	}
	return connect.NewResponse(out), nil
}

func enforcement(w licensing.Warning) *licensingv1.Enforcement {
	e := &licensingv1.Enforcement{Stage: stages[w.Stage], DaysLeft: int32(w.DaysLeft), Message: w.Message, Reason: w.Reason}
	if !w.Next.IsZero() {
		e.NextStageTime = timestamppb.New(w.Next)
	}
	return e
}

func trialProto(t licensing.TrialView) *licensingv1.Trial {
	trial := &licensingv1.Trial{Available: t.Available, Active: t.Active, Used: t.Used, DaysLeft: int32(t.DaysLeft),
		CoveredByMeetingsTrial: t.CoveredByMeetings}
	if !t.Start.IsZero() {
		trial.StartTime, trial.EndTime = timestamppb.New(t.Start), timestamppb.New(t.End)
	}
	return trial
}

func featureBox(b licensing.Box) *licensingv1.FeatureBox {
	out := &licensingv1.FeatureBox{Feature: features[b.Feature], Status: statuses[b.Status], Enforcement: enforcement(b.Warning),
		Trial: trialProto(b.Trial), CustomizationAllocated: b.CustomizationAllocated, Remedies: b.Remedies}
	for _, tv := range b.Types {
		u := &licensingv1.TypeUsage{Type: allocationTypes[tv.Type], Allocated: int32(tv.Allocated), Peak_90Day: tv.Peak,
			DaysOver: int32(tv.DaysOver), Status: statuses[tv.Status], NotInstalled: tv.NotInstalled}
		if tv.Allocated > 0 {
			u.PeakPercentage = proto.Float64(tv.Peak * 100 / float64(tv.Allocated))
		}
		out.Types = append(out.Types, u)
	}
	if b.SSMKnown {
		out.SsmCompliance = licensingv1.SsmCompliance_SSM_COMPLIANCE_IN_COMPLIANCE
		if b.SSMShortfall {
			out.SsmCompliance = licensingv1.SsmCompliance_SSM_COMPLIANCE_SHORTFALL
		}
		out.SsmPurchased = map[string]int32{}
		for k, v := range b.SSMPurchased {
			out.SsmPurchased[k] = int32(v)
		}
	}
	return out
}

// GetLicenseStatus implements LicensingService.GetLicenseStatus.
func (h *Handler) GetLicenseStatus(ctx context.Context, _ *connect.Request[licensingv1.GetLicenseStatusRequest]) (*connect.Response[licensingv1.GetLicenseStatusResponse], error) {
	out, err := StatusSummary(ctx, h.svc)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(out), nil
}

// StatusSummary is the licence status of the Overview (OV-12 … OV-14),
// shared with the overview handler.
func StatusSummary(ctx context.Context, svc *licensing.Service) (*licensingv1.GetLicenseStatusResponse, error) {
	snap, err := svc.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	out := &licensingv1.GetLicenseStatusResponse{Mode: modes[snap.Mode]}
	for _, sc := range snap.Scopes {
		row := &licensingv1.LicenseStatusRow{ClusterName: sc.ClusterName}
		if sc.ClusterID != 0 {
			row.ClusterId = strconv.Itoa(sc.ClusterID)
		}
		for _, b := range sc.Boxes {
			row.Features = append(row.Features, &licensingv1.FeatureSummary{Feature: features[b.Feature],
				Status: statuses[b.Status], Enforcement: enforcement(b.Warning)})
		}
		out.Rows = append(out.Rows, row)
	}
	return out, nil
}

// SetAllocation implements LicensingService.SetAllocation.
func (h *Handler) SetAllocation(ctx context.Context, req *connect.Request[licensingv1.SetAllocationRequest]) (*connect.Response[licensingv1.SetAllocationResponse], error) {
	// protovalidate refuses an absent count: a blank is not zero (LI-48).
	m := req.Msg
	a, err := h.svc.SetAllocations(ctx, licensing.Allocations{PMPPlus: int(m.GetPmpPlus()), SMPPlus: int(m.GetSmpPlus()),
		Recording: int(m.GetRecording()), Streaming: int(m.GetStreaming()), Customization: m.GetCustomization()})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&licensingv1.SetAllocationResponse{Allocations: &licensingv1.Allocations{
		PmpPlus: int32(a.PMPPlus), SmpPlus: int32(a.SMPPlus), Recording: int32(a.Recording), Streaming: int32(a.Streaming),
		Customization: a.Customization, UpdateTime: timestamppb.New(a.UpdateTime)}}), nil
}

// StartTrial implements LicensingService.StartTrial.
func (h *Handler) StartTrial(ctx context.Context, req *connect.Request[licensingv1.StartTrialRequest]) (*connect.Response[licensingv1.StartTrialResponse], error) {
	clusterID, err := parseCluster(req.Msg.GetClusterId())
	if err != nil {
		return nil, err
	}
	var feature string
	for name, f := range features {
		if f == req.Msg.GetFeature() {
			feature = name
		}
	}
	if feature == "" {
		return nil, errs.Invalid("feature", "must be MEETINGS, RECORDING_STREAMING or CUSTOMIZATION")
	}
	t, err := h.svc.StartTrial(ctx, feature, clusterID)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&licensingv1.StartTrialResponse{Trial: trialProto(t)}), nil
}

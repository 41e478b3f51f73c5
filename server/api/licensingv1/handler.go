// Package licensingv1 adapts the licensing domain (the usage collector and
// the status service) to switchboard.licensing.v1.
package licensingv1

import (
	"context"
	"strconv"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	licensingv1 "github.com/switchboardhq/switchboard/gen/switchboard/licensing/v1"
	"github.com/switchboardhq/switchboard/gen/switchboard/licensing/v1/licensingv1connect"
	"github.com/switchboardhq/switchboard/server/licensing"
	"github.com/switchboardhq/switchboard/server/platform/audit"
	"github.com/switchboardhq/switchboard/server/platform/errs"
)

// Handler implements licensingv1connect.LicensingServiceHandler.
type Handler struct {
	licensingv1connect.UnimplementedLicensingServiceHandler
	lic   *licensing.Collector
	svc   *licensing.Service
	audit *audit.Recorder // DownloadReport's own audit entry (report.go)
}

// Option configures the handler.
type Option func(*Handler)

// WithAudit records report downloads, which the audit interceptor skips
// as reads (LI-68).
func WithAudit(rec *audit.Recorder) Option { return func(h *Handler) { h.audit = rec } }

// New returns the handler.
func New(lic *licensing.Collector, svc *licensing.Service, opts ...Option) *Handler {
	h := &Handler{lic: lic, svc: svc}
	for _, o := range opts {
		o(h)
	}
	return h
}

// types maps the API's licence types to the collector's.
var types = map[licensingv1.LicenseType]string{
	licensingv1.LicenseType_LICENSE_TYPE_PMP:                licensing.TypePMP,
	licensingv1.LicenseType_LICENSE_TYPE_PMP_ASSIGNED:       licensing.TypePMPAssigned,
	licensingv1.LicenseType_LICENSE_TYPE_SMP_AUDIO:          licensing.TypeSMPAudio,
	licensingv1.LicenseType_LICENSE_TYPE_SMP_POINT_TO_POINT: licensing.TypeSMPPtP,
	licensingv1.LicenseType_LICENSE_TYPE_SMP_FULL:           licensing.TypeSMPFull,
	licensingv1.LicenseType_LICENSE_TYPE_RECORDING:          licensing.TypeRecording,
	licensingv1.LicenseType_LICENSE_TYPE_STREAMING:          licensing.TypeStreaming,
	licensingv1.LicenseType_LICENSE_TYPE_SMP_PLUS:           licensing.TypeSMPPlus,
}

// GetUtilization implements LicensingService.GetUtilization.
func (h *Handler) GetUtilization(ctx context.Context, req *connect.Request[licensingv1.GetUtilizationRequest]) (*connect.Response[licensingv1.GetUtilizationResponse], error) {
	m := req.Msg
	clusterID, err := parseCluster(m.GetClusterId())
	if err != nil {
		return nil, err
	}
	typ, ok := types[m.GetType()]
	if !ok {
		return nil, errs.Invalid("type", "is not a known licence type")
	}
	start, err := parseDate("start_date", m.GetStartDate())
	if err != nil {
		return nil, err
	}
	end, err := parseDate("end_date", m.GetEndDate())
	if err != nil {
		return nil, err
	}
	s, err := h.lic.Utilization(ctx, clusterID, typ, start, end)
	if err != nil {
		return nil, err
	}
	alloc, ok, notInstalled, err := h.svc.Allocation(ctx, clusterID, typ)
	if err != nil {
		return nil, err
	}
	out := &licensingv1.GetUtilizationResponse{Granularity: licensingv1.Granularity_GRANULARITY_DAY, NotInstalled: notInstalled}
	if s.FiveMinutes {
		out.Granularity = licensingv1.Granularity_GRANULARITY_FIVE_MINUTES
	}
	if ok {
		out.Allocated = proto.Int32(int32(alloc))
	}
	out.Points = make([]*licensingv1.UtilizationPoint, len(s.Points))
	for i, p := range s.Points {
		pt := &licensingv1.UtilizationPoint{Time: timestamppb.New(p.Time), Value: p.Value,
			PercentageState: licensingv1.PercentageState_PERCENTAGE_STATE_NOT_COMPUTABLE}
		if ok {
			pt.PercentageState = licensingv1.PercentageState_PERCENTAGE_STATE_COMPUTED
			pt.Percentage = proto.Float64(p.Value * 100 / float64(alloc))
		}
		out.Points[i] = pt
	}
	return connect.NewResponse(out), nil
}

func parseDate(field, s string) (time.Time, error) {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, errs.Invalid(field, "is not a date (YYYY-MM-DD)")
	}
	return d.UTC(), nil
}

// parseCluster reads an optional cluster id; "" is 0.
func parseCluster(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	id, err := strconv.Atoi(s)
	if err != nil || id <= 0 {
		return 0, errs.Invalid("cluster_id", "is not a cluster id")
	}
	return id, nil
}

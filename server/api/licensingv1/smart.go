package licensingv1

import (
	"context"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	licensingv1 "github.com/switchboardhq/switchboard/gen/switchboard/licensing/v1"
	"github.com/switchboardhq/switchboard/gen/switchboard/licensing/v1/licensingv1connect"
	"github.com/switchboardhq/switchboard/server/licensing/smart"
	"github.com/switchboardhq/switchboard/server/ssm"
)

// SmartHandler implements licensingv1connect.SmartLicensingServiceHandler
// over the Smart Licensing lifecycle.
type SmartHandler struct {
	licensingv1connect.UnimplementedSmartLicensingServiceHandler
	svc *smart.Service
}

// NewSmart returns the handler.
func NewSmart(svc *smart.Service) *SmartHandler { return &SmartHandler{svc: svc} }

// GetSmartLicensing implements SmartLicensingService.GetSmartLicensing.
func (h *SmartHandler) GetSmartLicensing(ctx context.Context, _ *connect.Request[licensingv1.GetSmartLicensingRequest]) (*connect.Response[licensingv1.GetSmartLicensingResponse], error) {
	st, err := h.svc.Status(ctx)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&licensingv1.GetSmartLicensingResponse{SmartLicensing: smartToProto(st)}), nil
}

// Register implements SmartLicensingService.Register.
func (h *SmartHandler) Register(ctx context.Context, req *connect.Request[licensingv1.RegisterRequest]) (*connect.Response[licensingv1.RegisterResponse], error) {
	st, err := h.svc.Register(ctx, req.Msg.GetToken(), req.Msg.GetForce())
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&licensingv1.RegisterResponse{SmartLicensing: smartToProto(st)}), nil
}

// RenewAuthorization implements SmartLicensingService.RenewAuthorization.
func (h *SmartHandler) RenewAuthorization(ctx context.Context, _ *connect.Request[licensingv1.RenewAuthorizationRequest]) (*connect.Response[licensingv1.RenewAuthorizationResponse], error) {
	st, err := h.svc.RenewAuthorization(ctx)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&licensingv1.RenewAuthorizationResponse{SmartLicensing: smartToProto(st)}), nil
}

// RenewRegistration implements SmartLicensingService.RenewRegistration.
func (h *SmartHandler) RenewRegistration(ctx context.Context, _ *connect.Request[licensingv1.RenewRegistrationRequest]) (*connect.Response[licensingv1.RenewRegistrationResponse], error) {
	st, err := h.svc.RenewRegistration(ctx)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&licensingv1.RenewRegistrationResponse{SmartLicensing: smartToProto(st)}), nil
}

// Reregister implements SmartLicensingService.Reregister.
func (h *SmartHandler) Reregister(ctx context.Context, req *connect.Request[licensingv1.ReregisterRequest]) (*connect.Response[licensingv1.ReregisterResponse], error) {
	st, err := h.svc.Reregister(ctx, req.Msg.GetToken())
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&licensingv1.ReregisterResponse{SmartLicensing: smartToProto(st)}), nil
}

// Deregister implements SmartLicensingService.Deregister.
func (h *SmartHandler) Deregister(ctx context.Context, _ *connect.Request[licensingv1.DeregisterRequest]) (*connect.Response[licensingv1.DeregisterResponse], error) {
	notified, err := h.svc.Deregister(ctx)
	if err != nil {
		return nil, err
	}
	st, err := h.svc.Status(ctx)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&licensingv1.DeregisterResponse{SsmNotified: notified, SmartLicensing: smartToProto(st)}), nil
}

var registrationStates = map[smart.RegistrationState]licensingv1.RegistrationState{
	smart.Unregistered:        licensingv1.RegistrationState_REGISTRATION_STATE_UNREGISTERED,
	smart.Registered:          licensingv1.RegistrationState_REGISTRATION_STATE_REGISTERED,
	smart.RegistrationExpired: licensingv1.RegistrationState_REGISTRATION_STATE_REGISTRATION_EXPIRED,
}

var complianceAnswers = map[ssm.Compliance]licensingv1.ComplianceAnswer{
	ssm.InCompliance:    licensingv1.ComplianceAnswer_COMPLIANCE_ANSWER_IN_COMPLIANCE,
	ssm.OutOfCompliance: licensingv1.ComplianceAnswer_COMPLIANCE_ANSWER_OUT_OF_COMPLIANCE,
}

func smartToProto(st smart.Status) *licensingv1.SmartLicensing {
	out := &licensingv1.SmartLicensing{
		State:                        registrationStates[st.State],
		SmartMode:                    st.SmartMode,
		SsmConfigured:                st.Configured,
		VirtualAccount:               st.VirtualAccount,
		ProductInstanceId:            st.ProductInstanceID,
		RegisterTime:                 ts(st.RegisteredAt),
		LastAuthorizationRenewalTime: ts(st.LastAuthorizationRenewal),
		NextAuthorizationRenewalTime: ts(st.NextAuthorizationRenewal),
		AuthorizationExpireTime:      ts(st.AuthorizationExpires),
		LastRegistrationRenewalTime:  ts(st.LastRegistrationRenewal),
		NextRegistrationRenewalTime:  ts(st.NextRegistrationRenewal),
		RegistrationExpireTime:       ts(st.RegistrationExpires),
		Compliance:                   complianceAnswers[st.Compliance],
	}
	if r := st.LastReport; r != nil {
		out.LastUsageReportTime = ts(r.At)
		out.LastUsageReportResult = licensingv1.UsageReportResult_USAGE_REPORT_RESULT_FAILED
		if r.Accepted {
			out.LastUsageReportResult = licensingv1.UsageReportResult_USAGE_REPORT_RESULT_ACCEPTED
		}
	}
	for _, c := range st.Entitlements {
		out.Purchased = append(out.Purchased, &licensingv1.PurchasedCount{Tag: string(c.Tag), Name: c.Name, Count: int32(c.Count)})
	}
	if f := st.LastError; f != nil {
		out.LastError = &licensingv1.SmartLicensingError{Time: ts(f.At), Operation: f.Operation, Message: f.Message, Reason: f.Reason}
	}
	return out
}

// ts converts a time, zero meaning absent.
func ts(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

// Package overviewv1 adapts the notifications domain service to
// switchboard.overview.v1.
package overviewv1

import (
	"context"
	"strconv"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	licensingv1 "github.com/switchboardhq/switchboard/gen/switchboard/licensing/v1"
	overviewv1 "github.com/switchboardhq/switchboard/gen/switchboard/overview/v1"
	"github.com/switchboardhq/switchboard/gen/switchboard/overview/v1/overviewv1connect"
	"github.com/switchboardhq/switchboard/server/notifications"
)

// Handler implements overviewv1connect.OverviewServiceHandler.
type Handler struct {
	overviewv1connect.UnimplementedOverviewServiceHandler
	svc     *notifications.Service
	license LicenseStatus
}

// LicenseStatus returns the licence status summary (the licensing
// handler's StatusSummary).
type LicenseStatus func(ctx context.Context) (*licensingv1.GetLicenseStatusResponse, error)

// New returns the handler.
func New(svc *notifications.Service, license LicenseStatus) *Handler {
	return &Handler{svc: svc, license: license}
}

// notConfigured is the placeholder of the cloud connector block, which
// Switchboard does not implement (OV-16), and of the deprecated licence
// placeholder when licensing is off.
func notConfigured() *overviewv1.PlaceholderStatus {
	return &overviewv1.PlaceholderStatus{Configured: false, Message: "not configured"}
}

// GetOverview implements OverviewService.GetOverview.
func (h *Handler) GetOverview(ctx context.Context, req *connect.Request[overviewv1.GetOverviewRequest]) (*connect.Response[overviewv1.GetOverviewResponse], error) {
	list, sum, err := h.svc.Overview(ctx, int(req.Msg.GetPreviewSize()))
	if err != nil {
		return nil, err
	}
	out := &overviewv1.GetOverviewResponse{TotalNotifications: int32(sum.Total), Summary: summary(sum),
		Licence: notConfigured(), CloudConnector: notConfigured()}
	// The licence status only when this instance does licensing (OV-12).
	lic, err := h.license(ctx)
	if err != nil {
		return nil, err
	}
	if lic.GetMode() == licensingv1.LicensingMode_LICENSING_MODE_SMART || lic.GetMode() == licensingv1.LicensingMode_LICENSING_MODE_TRADITIONAL {
		out.LicenseStatus = lic
		out.Licence = &overviewv1.PlaceholderStatus{Configured: true, Message: "see license_status"}
	}
	for _, n := range list {
		out.Notifications = append(out.Notifications, toProto(n))
	}
	return connect.NewResponse(out), nil
}

// ListNotifications implements OverviewService.ListNotifications.
func (h *Handler) ListNotifications(ctx context.Context, req *connect.Request[overviewv1.ListNotificationsRequest]) (*connect.Response[overviewv1.ListNotificationsResponse], error) {
	m := req.Msg
	page, err := h.svc.List(ctx, notifications.Filter{Severity: fromSeverity(m.GetSeverity()), SubjectKind: m.GetSubjectKind(),
		SubjectID: m.GetSubjectId(), IncludeResolved: m.GetIncludeResolved(), PageSize: int(m.GetPageSize()), PageToken: m.GetPageToken()})
	if err != nil {
		return nil, err
	}
	out := &overviewv1.ListNotificationsResponse{NextPageToken: page.NextPageToken, TotalSize: int32(page.TotalSize)}
	for _, n := range page.Notifications {
		out.Notifications = append(out.Notifications, toProto(n))
	}
	return connect.NewResponse(out), nil
}

// GetNotificationSummary implements OverviewService.GetNotificationSummary.
func (h *Handler) GetNotificationSummary(ctx context.Context, _ *connect.Request[overviewv1.GetNotificationSummaryRequest]) (*connect.Response[overviewv1.GetNotificationSummaryResponse], error) {
	sum, err := h.svc.Summary(ctx)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&overviewv1.GetNotificationSummaryResponse{Summary: summary(sum)}), nil
}

// ListNotificationCodes implements OverviewService.ListNotificationCodes.
func (h *Handler) ListNotificationCodes(context.Context, *connect.Request[overviewv1.ListNotificationCodesRequest]) (*connect.Response[overviewv1.ListNotificationCodesResponse], error) {
	out := &overviewv1.ListNotificationCodesResponse{}
	for _, c := range notifications.Sorted(notifications.Catalogue()) {
		out.Codes = append(out.Codes, &overviewv1.NotificationCode{Code: c.Code, Severity: toSeverity(c.Severity), Description: c.Description})
	}
	return connect.NewResponse(out), nil
}

// WatchNotifications implements OverviewService.WatchNotifications.
func (h *Handler) WatchNotifications(ctx context.Context, _ *connect.Request[overviewv1.WatchNotificationsRequest], stream *connect.ServerStream[overviewv1.WatchNotificationsResponse]) error {
	events := h.svc.Watch(ctx)
	sum, err := h.svc.Summary(ctx)
	if err != nil {
		return err
	}
	if err := stream.Send(&overviewv1.WatchNotificationsResponse{Summary: summary(sum)}); err != nil {
		return err
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-events:
			if !ok {
				return nil
			}
			if err := stream.Send(&overviewv1.WatchNotificationsResponse{Notification: toProto(ev.Notification), Summary: summary(ev.Summary)}); err != nil {
				return err
			}
		}
	}
}

func summary(s notifications.Summary) *overviewv1.NotificationSummary {
	return &overviewv1.NotificationSummary{Total: int32(s.Total), Errors: int32(s.Errors), Warnings: int32(s.Warnings), Information: int32(s.Information)}
}

func toProto(n notifications.Notification) *overviewv1.Notification {
	out := &overviewv1.Notification{Id: strconv.Itoa(n.ID), Code: n.Code, Severity: toSeverity(n.Severity), Message: n.Message,
		CreateTime: timestamppb.New(n.CreateTime), UpdateTime: timestamppb.New(n.UpdateTime)}
	if n.Subject != (notifications.Subject{}) {
		out.Subject = &overviewv1.Subject{Kind: n.Subject.Kind, Id: n.Subject.ID, DisplayName: n.Subject.Name}
	}
	if n.ResolveTime != nil {
		out.ResolveTime = timestamppb.New(*n.ResolveTime)
	}
	return out
}

func toSeverity(s notifications.Severity) overviewv1.Severity {
	switch s {
	case notifications.Error:
		return overviewv1.Severity_SEVERITY_ERROR
	case notifications.Warning:
		return overviewv1.Severity_SEVERITY_WARNING
	case notifications.Information:
		return overviewv1.Severity_SEVERITY_INFORMATION
	}
	return overviewv1.Severity_SEVERITY_UNSPECIFIED
}

func fromSeverity(s overviewv1.Severity) notifications.Severity {
	switch s {
	case overviewv1.Severity_SEVERITY_ERROR:
		return notifications.Error
	case overviewv1.Severity_SEVERITY_WARNING:
		return notifications.Warning
	case overviewv1.Severity_SEVERITY_INFORMATION:
		return notifications.Information
	}
	return ""
}

// Package authv1 adapts the auth domain service to switchboard.auth.v1.
package authv1

import (
	"context"
	"net/http"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	authv1 "github.com/switchboardhq/switchboard/gen/switchboard/auth/v1"
	"github.com/switchboardhq/switchboard/gen/switchboard/auth/v1/authv1connect"
	"github.com/switchboardhq/switchboard/server/auth"
	"github.com/switchboardhq/switchboard/server/platform/errs"
	"github.com/switchboardhq/switchboard/server/platform/interceptor"
	"github.com/switchboardhq/switchboard/server/platform/principal"
)

// Handler implements authv1connect.AuthServiceHandler.
type Handler struct {
	authv1connect.UnimplementedAuthServiceHandler
	svc *auth.Service
}

// New returns the handler.
func New(svc *auth.Service) *Handler { return &Handler{svc: svc} }

// SignIn implements AuthService.SignIn.
func (h *Handler) SignIn(ctx context.Context, req *connect.Request[authv1.SignInRequest]) (*connect.Response[authv1.SignInResponse], error) {
	meta := auth.Meta{RemoteAddr: interceptor.RemoteAddr(ctx), UserAgent: req.Header().Get("User-Agent")}
	res, err := h.svc.SignIn(ctx, req.Msg.GetUsername(), req.Msg.GetPassword(), meta)
	if err != nil {
		return nil, err
	}
	out := connect.NewResponse(&authv1.SignInResponse{
		Token:             res.Token,
		ExpireTime:        timestamppb.New(res.Principal.ExpireTime),
		Identity:          identity(&res.Principal),
		PostSignInMessage: res.PostSignInMessage,
		AccountActivity:   activity(res.Activity),
	})
	if req.Msg.GetCookie() {
		out.Msg.Token = "" // the browser gets it only where scripts cannot read it
		out.Header().Add("Set-Cookie", sessionCookie(res.Token, res.Principal.ExpireTime).String())
	}
	return out, nil
}

// SignOut implements AuthService.SignOut.
func (h *Handler) SignOut(ctx context.Context, _ *connect.Request[authv1.SignOutRequest]) (*connect.Response[authv1.SignOutResponse], error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := h.svc.SignOut(ctx, p.SessionID); err != nil {
		return nil, err
	}
	out := connect.NewResponse(&authv1.SignOutResponse{})
	if interceptor.SessionFromCookie(ctx) {
		out.Header().Add("Set-Cookie", sessionCookie("", time.Unix(0, 0)).String())
	}
	return out, nil
}

// WhoAmI implements AuthService.WhoAmI.
func (h *Handler) WhoAmI(ctx context.Context, _ *connect.Request[authv1.WhoAmIRequest]) (*connect.Response[authv1.WhoAmIResponse], error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&authv1.WhoAmIResponse{
		Identity:       identity(p),
		ExpireTime:     timestamppb.New(p.ExpireTime),
		IdleExpireTime: ts(p.IdleExpireTime),
	}), nil
}

// GetPreSignInMessage implements AuthService.GetPreSignInMessage.
func (h *Handler) GetPreSignInMessage(ctx context.Context, _ *connect.Request[authv1.GetPreSignInMessageRequest]) (*connect.Response[authv1.GetPreSignInMessageResponse], error) {
	msg, err := h.svc.PreSignInMessage(ctx)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&authv1.GetPreSignInMessageResponse{Message: msg}), nil
}

// ReportActivity implements AuthService.ReportActivity.
func (h *Handler) ReportActivity(ctx context.Context, _ *connect.Request[authv1.ReportActivityRequest]) (*connect.Response[authv1.ReportActivityResponse], error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	idle, err := h.svc.ReportActivity(ctx, p)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&authv1.ReportActivityResponse{IdleExpireTime: ts(idle)}), nil
}

// ListOwnSessions implements AuthService.ListOwnSessions.
func (h *Handler) ListOwnSessions(ctx context.Context, req *connect.Request[authv1.ListOwnSessionsRequest]) (*connect.Response[authv1.ListOwnSessionsResponse], error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if p.SessionID == 0 {
		return connect.NewResponse(&authv1.ListOwnSessionsResponse{}), nil // an API token has no sessions
	}
	page, err := h.svc.ListSessions(ctx, auth.SessionFilter{UserID: p.UserID}, int(req.Msg.GetPageSize()), req.Msg.GetPageToken())
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&authv1.ListOwnSessionsResponse{Sessions: sessions(page.Items, p), NextPageToken: page.NextPageToken}), nil
}

// RevokeOwnSession implements AuthService.RevokeOwnSession.
func (h *Handler) RevokeOwnSession(ctx context.Context, req *connect.Request[authv1.RevokeOwnSessionRequest]) (*connect.Response[authv1.RevokeOwnSessionResponse], error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if p.UserID == 0 {
		return nil, errs.New(errs.NotFound, errs.ReasonNotFound, "no session %d", req.Msg.GetId())
	}
	if err := h.svc.RevokeSession(ctx, int(req.Msg.GetId()), p.UserID); err != nil {
		return nil, err
	}
	return connect.NewResponse(&authv1.RevokeOwnSessionResponse{}), nil
}

// ListSessions implements AuthService.ListSessions.
func (h *Handler) ListSessions(ctx context.Context, req *connect.Request[authv1.ListSessionsRequest]) (*connect.Response[authv1.ListSessionsResponse], error) {
	p, _ := principal.From(ctx)
	page, err := h.svc.ListSessions(ctx, auth.SessionFilter{Username: req.Msg.GetUsername()}, int(req.Msg.GetPageSize()), req.Msg.GetPageToken())
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&authv1.ListSessionsResponse{Sessions: sessions(page.Items, p), NextPageToken: page.NextPageToken}), nil
}

// RevokeSession implements AuthService.RevokeSession.
func (h *Handler) RevokeSession(ctx context.Context, req *connect.Request[authv1.RevokeSessionRequest]) (*connect.Response[authv1.RevokeSessionResponse], error) {
	if err := h.svc.RevokeSession(ctx, int(req.Msg.GetId()), 0); err != nil {
		return nil, err
	}
	return connect.NewResponse(&authv1.RevokeSessionResponse{}), nil
}

// RevokeAllSessions implements AuthService.RevokeAllSessions.
func (h *Handler) RevokeAllSessions(ctx context.Context, req *connect.Request[authv1.RevokeAllSessionsRequest]) (*connect.Response[authv1.RevokeAllSessionsResponse], error) {
	keep := 0
	if p, ok := principal.From(ctx); ok && !req.Msg.GetIncludeCurrent() {
		keep = p.SessionID
	}
	n, err := h.svc.RevokeAllSessions(ctx, keep)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&authv1.RevokeAllSessionsResponse{RevokedCount: int32(n)}), nil
}

// GetSignInSettings implements AuthService.GetSignInSettings.
func (h *Handler) GetSignInSettings(ctx context.Context, _ *connect.Request[authv1.GetSignInSettingsRequest]) (*connect.Response[authv1.GetSignInSettingsResponse], error) {
	st, err := h.svc.SignInSettings(ctx)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&authv1.GetSignInSettingsResponse{Settings: signInSettings(st)}), nil
}

// UpdateSignInSettings implements AuthService.UpdateSignInSettings.
func (h *Handler) UpdateSignInSettings(ctx context.Context, req *connect.Request[authv1.UpdateSignInSettingsRequest]) (*connect.Response[authv1.UpdateSignInSettingsResponse], error) {
	var u auth.SignInSettingsUpdate
	if r := req.Msg.GetRateLimit(); r != nil {
		u.RateLimit = &auth.RateLimit{Enabled: r.GetEnabled(), RefillSeconds: int(r.GetRefillSeconds()), MaxTokens: int(r.GetMaxTokens())}
	}
	if i := req.Msg.GetIdleTimeout(); i != nil {
		u.IdleTimeout = &auth.IdleTimeout{Enabled: i.GetEnabled(), TimeoutSeconds: int(i.GetTimeoutSeconds())}
	}
	if m := req.Msg.GetMessages(); m != nil {
		u.Messages = &auth.Messages{PreSignIn: m.GetPreSignInMessage(), PostSignIn: m.GetPostSignInMessage(), ShowAccountActivity: m.GetShowAccountActivity()}
	}
	st, err := h.svc.UpdateSignInSettings(ctx, u)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&authv1.UpdateSignInSettingsResponse{Settings: signInSettings(st)}), nil
}

// CreateApiToken implements AuthService.CreateApiToken.
func (h *Handler) CreateApiToken(ctx context.Context, req *connect.Request[authv1.CreateApiTokenRequest]) (*connect.Response[authv1.CreateApiTokenResponse], error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	t, secret, err := h.svc.CreateAPIToken(ctx, req.Msg.GetName(), DomainRole(req.Msg.GetRole()), req.Msg.GetExpireTime().AsTime(), p.Username)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&authv1.CreateApiTokenResponse{ApiToken: apiToken(t), Secret: secret}), nil
}

// ListApiTokens implements AuthService.ListApiTokens.
func (h *Handler) ListApiTokens(ctx context.Context, req *connect.Request[authv1.ListApiTokensRequest]) (*connect.Response[authv1.ListApiTokensResponse], error) {
	page, err := h.svc.ListAPITokens(ctx, int(req.Msg.GetPageSize()), req.Msg.GetPageToken())
	if err != nil {
		return nil, err
	}
	out := &authv1.ListApiTokensResponse{NextPageToken: page.NextPageToken}
	for _, t := range page.Items {
		out.ApiTokens = append(out.ApiTokens, apiToken(t))
	}
	return connect.NewResponse(out), nil
}

// DeleteApiToken implements AuthService.DeleteApiToken.
func (h *Handler) DeleteApiToken(ctx context.Context, req *connect.Request[authv1.DeleteApiTokenRequest]) (*connect.Response[authv1.DeleteApiTokenResponse], error) {
	if err := h.svc.DeleteAPIToken(ctx, int(req.Msg.GetId())); err != nil {
		return nil, err
	}
	return connect.NewResponse(&authv1.DeleteApiTokenResponse{}), nil
}

func ts(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

func activity(a *auth.AccountActivity) *authv1.AccountActivity {
	if a == nil {
		return nil
	}
	return &authv1.AccountActivity{
		PreviousSignInTime:    ts(a.PreviousSignInTime),
		PreviousSignInAddress: a.PreviousSignInAddress,
		FailedAttemptsSince:   int32(a.FailedAttemptsSince),
		LastFailedAttemptTime: ts(a.LastFailedAttemptTime),
	}
}

func sessions(items []auth.SessionInfo, p *principal.Principal) []*authv1.Session {
	out := make([]*authv1.Session, 0, len(items))
	for _, s := range items {
		out = append(out, &authv1.Session{
			Id: int64(s.ID), Identity: identity(&s.Principal),
			CreateTime: ts(s.CreateTime), LastActivityTime: ts(s.LastActivityTime), ExpireTime: ts(s.ExpireTime),
			IdleExpireTime: ts(s.IdleExpireTime), RemoteAddress: s.RemoteAddr, UserAgent: s.UserAgent,
			Current: p != nil && p.SessionID == s.ID,
		})
	}
	return out
}

func signInSettings(st auth.SignInSettings) *authv1.SignInSettings {
	return &authv1.SignInSettings{
		RateLimit: &authv1.RateLimit{Enabled: st.RateLimit.Enabled,
			RefillSeconds: proto.Int32(int32(st.RateLimit.RefillSeconds)), MaxTokens: proto.Int32(int32(st.RateLimit.MaxTokens))},
		IdleTimeout: &authv1.IdleTimeout{Enabled: st.IdleTimeout.Enabled, TimeoutSeconds: proto.Int32(int32(st.IdleTimeout.TimeoutSeconds))},
		Messages: &authv1.SignInMessages{PreSignInMessage: st.Messages.PreSignIn, PostSignInMessage: st.Messages.PostSignIn,
			ShowAccountActivity: st.Messages.ShowAccountActivity},
	}
}

func apiToken(t auth.APIToken) *authv1.ApiToken {
	return &authv1.ApiToken{Id: int64(t.ID), Name: t.Name, Role: Role(t.Role), CreateTime: ts(t.CreateTime),
		CreatedBy: t.CreatedBy, ExpireTime: ts(t.ExpireTime), LastUseTime: ts(t.LastUseTime), Prefix: t.Prefix}
}

// DomainRole converts a wire role to the domain; unspecified becomes "",
// which the domain refuses.
func DomainRole(r authv1.Role) principal.Role {
	switch r {
	case authv1.Role_ROLE_ADMINISTRATOR:
		return principal.RoleAdministrator
	case authv1.Role_ROLE_VIDEO_OPERATOR:
		return principal.RoleVideoOperator
	default:
		return ""
	}
}

func caller(ctx context.Context) (*principal.Principal, error) {
	p, ok := principal.From(ctx)
	if !ok {
		return nil, errs.New(errs.Unauthenticated, errs.ReasonUnauthenticated, "sign in first")
	}
	return p, nil
}

// sessionCookie is the browser's session: never readable by scripts, never
// sent cross-site, never sent without TLS (browsers exempt localhost, which
// keeps --plaintext development working).
func sessionCookie(token string, expires time.Time) *http.Cookie {
	c := &http.Cookie{
		Name:     interceptor.SessionCookie,
		Value:    token,
		Path:     "/",
		Expires:  expires.UTC(),
		HttpOnly: true,
		Secure:   true,
		SameSite: http.SameSiteStrictMode,
	}
	if token == "" {
		c.MaxAge = -1
	}
	return c
}

func identity(p *principal.Principal) *authv1.Identity {
	return &authv1.Identity{
		Username:    p.Username,
		Role:        Role(p.Role),
		Source:      Source(p.Source),
		DisplayName: p.DisplayName,
	}
}

// Role converts a domain role to the wire enum.
func Role(r principal.Role) authv1.Role {
	switch r {
	case principal.RoleAdministrator:
		return authv1.Role_ROLE_ADMINISTRATOR
	case principal.RoleVideoOperator:
		return authv1.Role_ROLE_VIDEO_OPERATOR
	default:
		return authv1.Role_ROLE_UNSPECIFIED
	}
}

// Source converts a domain identity source to the wire enum.
func Source(s principal.Source) authv1.IdentitySource {
	switch s {
	case principal.SourceLocal:
		return authv1.IdentitySource_IDENTITY_SOURCE_LOCAL
	case principal.SourceLDAP:
		return authv1.IdentitySource_IDENTITY_SOURCE_LDAP
	case principal.SourceAPIToken:
		return authv1.IdentitySource_IDENTITY_SOURCE_API_TOKEN
	default:
		return authv1.IdentitySource_IDENTITY_SOURCE_UNSPECIFIED
	}
}

// Package authv1 adapts the auth domain service to switchboard.auth.v1.
package authv1

import (
	"context"
	"net/http"
	"time"

	"connectrpc.com/connect"
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
		Token:      res.Token,
		ExpireTime: timestamppb.New(res.Principal.ExpireTime),
		Identity:   identity(&res.Principal),
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
		Identity:   identity(p),
		ExpireTime: timestamppb.New(p.ExpireTime),
	}), nil
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
	default:
		return authv1.IdentitySource_IDENTITY_SOURCE_UNSPECIFIED
	}
}

package interceptor

import (
	"context"
	"crypto/subtle"
	"log/slog"
	"net"
	"net/http"
	"strings"

	"github.com/switchboardhq/switchboard/server/platform/errs"
	"github.com/switchboardhq/switchboard/server/platform/principal"
)

// SessionCookie is the name of the browser session cookie.
const SessionCookie = "sb_session"

// Headers our REST gateway adds when it relays a call to the handlers.
const (
	GatewaySecretHeader = "X-Switchboard-Gateway"
	// grpc-gateway forwards the browser's Cookie header under this name.
	gatewayCookieHeader = "Grpcgateway-Cookie"
	forwardedForHeader  = "X-Forwarded-For"
)

type remoteAddrKey struct{}

// RemoteAddr returns the client address of the current call: the peer, or
// for calls relayed by our gateway, the address the gateway saw.
func RemoteAddr(ctx context.Context) string {
	a, _ := ctx.Value(remoteAddrKey{}).(string)
	return a
}

type tokenKey struct{}

// fromCookie reports whether the session token of the call came from the
// browser cookie (as opposed to an authorization header).
type credential struct {
	token      string
	fromCookie bool
}

func authenticate(auth Authenticator, policy Policy, gatewaySecret string) around {
	return func(ctx context.Context, c *call, next func(context.Context) error) error {
		relayed := gatewaySecret != "" &&
			subtle.ConstantTimeCompare([]byte(c.header.Get(GatewaySecretHeader)), []byte(gatewaySecret)) == 1
		ctx = context.WithValue(ctx, remoteAddrKey{}, remoteAddr(c, relayed))

		cred := credentialOf(c.header, relayed)
		ctx = context.WithValue(ctx, tokenKey{}, cred)
		if cred.token == "" {
			return next(ctx) // authorize decides whether anonymous is enough
		}
		p, err := auth.Authenticate(ctx, cred.token)
		if err != nil {
			if policy[c.spec.Procedure] == Public {
				// A stale cookie must not stop anyone from signing in again.
				return next(ctx)
			}
			return err
		}
		return next(principal.With(ctx, p))
	}
}

// SessionFromCookie reports whether the caller authenticated with the browser
// cookie, so sign-out knows to clear it.
func SessionFromCookie(ctx context.Context) bool {
	c, _ := ctx.Value(tokenKey{}).(credential)
	return c.fromCookie
}

func credentialOf(h http.Header, relayed bool) credential {
	if v := h.Get("Authorization"); v != "" {
		if tok, ok := strings.CutPrefix(v, "Bearer "); ok {
			return credential{token: strings.TrimSpace(tok)}
		}
	}
	cookieHeaders := h.Values("Cookie")
	if relayed {
		cookieHeaders = append(cookieHeaders, h.Values(gatewayCookieHeader)...)
	}
	for _, line := range cookieHeaders {
		cookies, err := http.ParseCookie(line)
		if err != nil {
			continue
		}
		for _, ck := range cookies {
			if ck.Name == SessionCookie && ck.Value != "" {
				return credential{token: ck.Value, fromCookie: true}
			}
		}
	}
	return credential{}
}

func remoteAddr(c *call, relayed bool) string {
	if relayed {
		// The gateway appends the address it saw as the last hop.
		hops := strings.Split(c.header.Get(forwardedForHeader), ",")
		if last := strings.TrimSpace(hops[len(hops)-1]); last != "" {
			return last
		}
	}
	if host, _, err := net.SplitHostPort(c.peer.Addr); err == nil {
		return host
	}
	return c.peer.Addr
}

func authorize(policy Policy, log *slog.Logger) around {
	return func(ctx context.Context, c *call, next func(context.Context) error) error {
		access, ok := policy[c.spec.Procedure]
		if !ok {
			// Fail closed, and loudly: a missing entry is a programming error
			// that the policy test should have caught.
			log.ErrorContext(ctx, "procedure has no authorization rule", slog.String("procedure", c.spec.Procedure))
			return errs.New(errs.PermissionDenied, errs.ReasonPermissionDenied, "this method is not available")
		}
		p, signedIn := principal.From(ctx)
		if access.Allows(p) {
			return next(ctx)
		}
		if !signedIn && access != Deny {
			return errs.New(errs.Unauthenticated, errs.ReasonUnauthenticated, "sign in first")
		}
		return errs.New(errs.PermissionDenied, errs.ReasonPermissionDenied,
			"your role does not allow this; it needs the %s role", access)
	}
}

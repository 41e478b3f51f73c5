package interceptor

import (
	"context"
	"log/slog"
	"net/http"

	"buf.build/go/protovalidate"
	"connectrpc.com/connect"

	"github.com/switchboardhq/switchboard/server/platform/audit"
	"github.com/switchboardhq/switchboard/server/platform/principal"
)

// Authenticator resolves a session token to its caller.
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (*principal.Principal, error)
}

// Options are the collaborators of the chain.
type Options struct {
	Log     *slog.Logger
	Metrics *Metrics
	Auth    Authenticator
	Policy  Policy
	Audit   *audit.Recorder
	// Unaudited lists state-changing procedures that are deliberately not
	// audited, each with the reason (see server/api/policy.go).
	Unaudited map[string]string
	Validator protovalidate.Validator
	// GatewaySecret authenticates calls relayed by our own REST gateway: only
	// those may carry the browser cookie and client address as forwarded
	// metadata.
	GatewaySecret string
}

// Chain returns the interceptors of every service handler, outermost first.
// This is the one place that decides their order.
func Chain(o Options) []connect.Interceptor {
	return []connect.Interceptor{
		adapter(recoverPanics(o.Log)),
		adapter(requestID()),
		adapter(observe(o.Log, o.Metrics)),
		adapter(translateErrors(o.Log)),
		adapter(authenticate(o.Auth, o.Policy, o.GatewaySecret)),
		adapter(authorize(o.Policy, o.Log)),
		validate(o.Validator),
		adapter(auditCalls(o.Audit, o.Unaudited)),
	}
}

// call is what an interceptor sees of a unary or streaming call.
type call struct {
	spec   connect.Spec
	header http.Header
	peer   connect.Peer
	// msg is the request of a unary call; nil for streams.
	msg any
}

// around is an interceptor written once for unary and streaming calls.
type around func(ctx context.Context, c *call, next func(context.Context) error) error

type adapted struct{ fn around }

func adapter(fn around) connect.Interceptor { return adapted{fn: fn} }

func (a adapted) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		if req.Spec().IsClient {
			return next(ctx, req)
		}
		var res connect.AnyResponse
		c := &call{spec: req.Spec(), header: req.Header(), peer: req.Peer(), msg: req.Any()}
		err := a.fn(ctx, c, func(ctx context.Context) error {
			var err error
			res, err = next(ctx, req)
			return err
		})
		return res, err
	}
}

func (a adapted) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

func (a adapted) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		c := &call{spec: conn.Spec(), header: conn.RequestHeader(), peer: conn.Peer()}
		return a.fn(ctx, c, func(ctx context.Context) error { return next(ctx, conn) })
	}
}

package interceptor

import (
	"context"
	"crypto/rand"
	"log/slog"
	"regexp"
	"runtime/debug"
	"time"

	"connectrpc.com/connect"

	"github.com/switchboardhq/switchboard/server/platform/principal"
)

// RequestIDHeader carries a caller-chosen or generated request id.
const RequestIDHeader = "X-Request-Id"

type requestIDKey struct{}

// RequestID returns the id of the current call, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

func recoverPanics(log *slog.Logger) around {
	return func(ctx context.Context, c *call, next func(context.Context) error) (err error) {
		defer func() {
			if v := recover(); v != nil {
				log.ErrorContext(ctx, "panic in handler", slog.String("procedure", c.spec.Procedure),
					slog.Any("panic", v), slog.String("stack", string(debug.Stack())))
				// Outermost, so it speaks the wire format itself.
				err = internalError(ctx)
			}
		}()
		return next(ctx)
	}
}

// A caller-supplied id is kept only if it is short and plain, so it can be
// logged safely.
var validRequestID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

func requestID() around {
	return func(ctx context.Context, c *call, next func(context.Context) error) error {
		id := c.header.Get(RequestIDHeader)
		if !validRequestID.MatchString(id) {
			id = rand.Text()[:16]
		}
		return next(context.WithValue(ctx, requestIDKey{}, id))
	}
}

func observe(log *slog.Logger, m *Metrics) around {
	return func(ctx context.Context, c *call, next func(context.Context) error) error {
		start := time.Now()
		err := next(ctx)
		elapsed := time.Since(start)
		code := "ok"
		if err != nil {
			code = connect.CodeOf(err).String()
		}
		m.observe(c.spec.Procedure, code, elapsed)
		attrs := []slog.Attr{
			slog.String("procedure", c.spec.Procedure), slog.String("code", code),
			slog.Duration("duration", elapsed), slog.String("request_id", RequestID(ctx)),
		}
		if p, ok := principal.From(ctx); ok {
			attrs = append(attrs, slog.String("user", p.Username))
		}
		level := slog.LevelInfo
		// CodeOf(nil) is CodeUnknown: only failed calls can be errors.
		if err != nil && (connect.CodeOf(err) == connect.CodeInternal || connect.CodeOf(err) == connect.CodeUnknown) {
			level = slog.LevelError
		}
		// Only the procedure and outcome are logged, never the request or
		// response bodies: they may hold secrets.
		log.LogAttrs(ctx, level, "rpc", attrs...)
		return err
	}
}

package interceptor

import (
	"context"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/switchboardhq/switchboard/server/platform/audit"
	"github.com/switchboardhq/switchboard/server/platform/errs"
	"github.com/switchboardhq/switchboard/server/platform/principal"
)

// ChangesState reports whether a method may change state, read from its
// descriptor: everything not declared NO_SIDE_EFFECTS does.
func ChangesState(md protoreflect.MethodDescriptor) bool {
	opts, ok := md.Options().(*descriptorpb.MethodOptions)
	return !ok || opts.GetIdempotencyLevel() != descriptorpb.MethodOptions_NO_SIDE_EFFECTS
}

func auditCalls(rec *audit.Recorder, unaudited map[string]string) around {
	return func(ctx context.Context, c *call, next func(context.Context) error) error {
		md, ok := c.spec.Schema.(protoreflect.MethodDescriptor)
		if _, skip := unaudited[c.spec.Procedure]; skip || rec == nil || (ok && !ChangesState(md)) {
			return next(ctx)
		}
		entry := &audit.Entry{
			Actor:      audit.ActorAnonymous,
			Action:     c.spec.Procedure,
			RemoteAddr: RemoteAddr(ctx),
			Details:    redactedJSON(c.msg),
		}
		if p, ok := principal.From(ctx); ok {
			entry.Actor, entry.ActorSource = p.Username, string(p.Source)
		}
		err := next(audit.WithEntry(ctx, entry))
		entry.Outcome = audit.OutcomeOK
		if err != nil {
			entry.Outcome = string(reasonOf(err))
		}
		_ = rec.Record(ctx, *entry) // Record logs its own failures
		return err
	}
}

func reasonOf(err error) errs.Reason {
	if e, ok := errs.From(err); ok {
		return e.Reason
	}
	if connect.CodeOf(err) == connect.CodeCanceled {
		return "CANCELLED"
	}
	return errs.ReasonInternal
}

package interceptor

import (
	"context"
	"errors"
	"log/slog"

	"connectrpc.com/connect"
	"google.golang.org/genproto/googleapis/rpc/errdetails"

	"github.com/switchboardhq/switchboard/server/platform/errs"
)

// ErrorDomain is the ErrorInfo domain of every Switchboard error.
const ErrorDomain = "switchboard"

var codeOfKind = map[errs.Kind]connect.Code{
	errs.Internal:           connect.CodeInternal,
	errs.InvalidArgument:    connect.CodeInvalidArgument,
	errs.Unauthenticated:    connect.CodeUnauthenticated,
	errs.PermissionDenied:   connect.CodePermissionDenied,
	errs.NotFound:           connect.CodeNotFound,
	errs.AlreadyExists:      connect.CodeAlreadyExists,
	errs.Aborted:            connect.CodeAborted,
	errs.FailedPrecondition: connect.CodeFailedPrecondition,
	errs.ResourceExhausted:  connect.CodeResourceExhausted,
	errs.Unavailable:        connect.CodeUnavailable,
}

// CodeOf returns the wire code of a domain error kind.
func CodeOf(k errs.Kind) connect.Code { return codeOfKind[k] }

func translateErrors(log *slog.Logger) around {
	return func(ctx context.Context, c *call, next func(context.Context) error) error {
		err := next(ctx)
		if err == nil {
			return nil
		}
		return ToConnect(ctx, log, c.spec.Procedure, err)
	}
}

// ToConnect turns any error into the Connect error the client sees: domain
// errors keep their message and gain ErrorInfo (and BadRequest) details;
// anything unclassified becomes a bare "internal error" and its text goes to
// the log only.
func ToConnect(ctx context.Context, log *slog.Logger, procedure string, err error) *connect.Error {
	if e, ok := errs.From(err); ok {
		if e.Kind == errs.Internal {
			log.ErrorContext(ctx, "internal error", slog.String("procedure", procedure),
				slog.String("request_id", RequestID(ctx)), slog.Any("error", err))
			return internalError(ctx)
		}
		ce := connect.NewError(codeOfKind[e.Kind], errors.New(e.Message))
		if e.Cause != nil {
			log.DebugContext(ctx, "request failed", slog.String("procedure", procedure), slog.Any("error", err))
		}
		addDetail(ce, &errdetails.ErrorInfo{Reason: string(e.Reason), Domain: ErrorDomain, Metadata: e.Metadata})
		if len(e.Violations) > 0 {
			br := &errdetails.BadRequest{}
			for _, v := range e.Violations {
				br.FieldViolations = append(br.FieldViolations,
					&errdetails.BadRequest_FieldViolation{Field: v.Field, Description: v.Description})
			}
			addDetail(ce, br)
		}
		return ce
	}
	var ce *connect.Error
	if errors.As(err, &ce) {
		// Errors made by Connect itself (bad encoding, deadline) carry no
		// internal text and are already classified.
		return ce
	}
	switch {
	case errors.Is(err, context.Canceled):
		return connect.NewError(connect.CodeCanceled, errors.New("the call was cancelled"))
	case errors.Is(err, context.DeadlineExceeded):
		return connect.NewError(connect.CodeDeadlineExceeded, errors.New("the call took too long"))
	}
	log.ErrorContext(ctx, "unclassified error", slog.String("procedure", procedure),
		slog.String("request_id", RequestID(ctx)), slog.Any("error", err))
	return internalError(ctx)
}

func internalError(ctx context.Context) *connect.Error {
	ce := connect.NewError(connect.CodeInternal, errors.New("internal error (request "+RequestID(ctx)+")"))
	addDetail(ce, &errdetails.ErrorInfo{Reason: string(errs.ReasonInternal), Domain: ErrorDomain})
	return ce
}

func addDetail(ce *connect.Error, m interface{ ProtoReflect() protoreflectMessage }) {
	if d, err := connect.NewErrorDetail(m); err == nil {
		ce.AddDetail(d)
	}
}

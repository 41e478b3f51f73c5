package interceptor

import (
	"context"
	"errors"

	"buf.build/go/protovalidate"
	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"

	"github.com/switchboardhq/switchboard/server/platform/errs"
)

// validator enforces the protovalidate rules written in the protos, and turns
// violations into an InvalidArgument error naming each field.
type validator struct{ v protovalidate.Validator }

func validate(v protovalidate.Validator) connect.Interceptor { return validator{v: v} }

func (x validator) check(msg any) error {
	m, ok := msg.(proto.Message)
	if !ok {
		return nil
	}
	err := x.v.Validate(m)
	if err == nil {
		return nil
	}
	var verr *protovalidate.ValidationError
	if !errors.As(err, &verr) {
		return errs.Wrap(err, errs.Internal, errs.ReasonInternal, "cannot validate request")
	}
	out := &errs.Error{Kind: errs.InvalidArgument, Reason: errs.ReasonInvalidArgument}
	for _, v := range verr.Violations {
		field := protovalidate.FieldPathString(v.Proto.GetField())
		out.Violations = append(out.Violations, errs.FieldViolation{Field: field, Description: v.Proto.GetMessage()})
	}
	out.Message = "invalid request"
	if len(out.Violations) > 0 {
		first := out.Violations[0]
		out.Message = first.Field + ": " + first.Description
	}
	return out
}

func (x validator) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		if !req.Spec().IsClient {
			if err := x.check(req.Any()); err != nil {
				return nil, err
			}
		}
		return next(ctx, req)
	}
}

func (x validator) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

func (x validator) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		return next(ctx, &validatingConn{StreamingHandlerConn: conn, v: x})
	}
}

type validatingConn struct {
	connect.StreamingHandlerConn
	v validator
}

func (c *validatingConn) Receive(m any) error {
	if err := c.StreamingHandlerConn.Receive(m); err != nil {
		return err
	}
	return c.v.check(m)
}

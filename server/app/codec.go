package app

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"connectrpc.com/connect"
	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// jsonCodec is Connect's JSON codec with an error message written for the
// person who sent the request: it names the message type they were meant to
// send rather than a Go type.
type jsonCodec struct{ name string }

func (c jsonCodec) Name() string { return c.name }

func (c jsonCodec) Marshal(m any) ([]byte, error) {
	msg, ok := m.(proto.Message)
	if !ok {
		return nil, fmt.Errorf("cannot encode %T as JSON", m)
	}
	return protojson.MarshalOptions{}.Marshal(msg)
}

func (c jsonCodec) Unmarshal(data []byte, m any) error {
	msg, ok := m.(proto.Message)
	if !ok {
		return fmt.Errorf("cannot decode JSON into %T", m)
	}
	if len(data) == 0 {
		return nil // an empty body is an empty message, as in Connect's own codec
	}
	if err := (protojson.UnmarshalOptions{}).Unmarshal(data, msg); err != nil {
		return fmt.Errorf("the request body is not a valid %s in JSON: %s",
			msg.ProtoReflect().Descriptor().FullName(), strings.TrimPrefix(err.Error(), "proto: "))
	}
	return nil
}

// jsonCodecs replace Connect's JSON codecs under both names it registers.
func jsonCodecs() []connect.HandlerOption {
	return []connect.HandlerOption{
		connect.WithCodec(jsonCodec{name: "json"}),
		connect.WithCodec(jsonCodec{name: "json; charset=utf-8"}),
	}
}

// gatewayErrors words the gateway's own decoding failures like the
// handlers' errors. Errors from the handlers always carry an ErrorInfo
// detail; one without details was raised by the gateway before the call,
// which only happens when the body is not valid JSON.
func gatewayErrors(ctx context.Context, mux *runtime.ServeMux, m runtime.Marshaler, w http.ResponseWriter, r *http.Request, err error) {
	if st, ok := status.FromError(err); ok && len(st.Details()) == 0 && st.Code() == codes.InvalidArgument {
		err = status.Errorf(st.Code(), "the request body is not valid JSON: %s", strings.TrimPrefix(st.Message(), "proto: "))
	}
	runtime.DefaultHTTPErrorHandler(ctx, mux, m, w, r, err)
}

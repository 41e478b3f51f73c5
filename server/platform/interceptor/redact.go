package interceptor

import (
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
)

// IsSecretField reports whether a field is marked `debug_redact = true` in
// the proto: the one marking of secrets that audit records, logs and tests
// all rely on.
func IsSecretField(fd protoreflect.FieldDescriptor) bool {
	opts, ok := fd.Options().(*descriptorpb.FieldOptions)
	return ok && opts.GetDebugRedact()
}

// Redact returns a copy of m with every secret field cleared, recursively.
func Redact(m proto.Message) proto.Message {
	c := proto.Clone(m)
	redact(c.ProtoReflect())
	return c
}

func redact(m protoreflect.Message) {
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case IsSecretField(fd):
			m.Clear(fd)
		case fd.Message() != nil && fd.IsList():
			list := v.List()
			for i := range list.Len() {
				redact(list.Get(i).Message())
			}
		case fd.Message() != nil && fd.IsMap():
			if fd.MapValue().Message() != nil {
				v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
					redact(mv.Message())
					return true
				})
			}
		case fd.Message() != nil:
			redact(v.Message())
		}
		return true
	})
}

// redactedJSON renders a request for an audit record, secrets removed.
func redactedJSON(m any) string {
	msg, ok := m.(proto.Message)
	if !ok || msg == nil {
		return ""
	}
	b, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(Redact(msg))
	if err != nil {
		return ""
	}
	return string(b)
}

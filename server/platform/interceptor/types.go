package interceptor

import "google.golang.org/protobuf/reflect/protoreflect"

type protoreflectMessage = protoreflect.Message

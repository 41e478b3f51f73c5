package app

import (
	"context"
	"net"
	"net/http"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/encoding/protojson"

	authv1 "github.com/switchboardhq/switchboard/gen/switchboard/auth/v1"
	licensingv1 "github.com/switchboardhq/switchboard/gen/switchboard/licensing/v1"
	meetingsv1 "github.com/switchboardhq/switchboard/gen/switchboard/meetings/v1"
	overviewv1 "github.com/switchboardhq/switchboard/gen/switchboard/overview/v1"
	serversv1 "github.com/switchboardhq/switchboard/gen/switchboard/servers/v1"
	systemv1 "github.com/switchboardhq/switchboard/gen/switchboard/system/v1"
	usersv1 "github.com/switchboardhq/switchboard/gen/switchboard/users/v1"
	"github.com/switchboardhq/switchboard/server/platform/interceptor"
)

// gateway is the REST/JSON face of the API. It relays each call over an
// in-memory HTTP/2 connection to the very same Connect handlers, so REST
// passes through the same interceptors (authentication, authorization,
// validation, audit) as every other protocol.
type gateway struct {
	handler http.Handler
	close   func()
}

func newGateway(ctx context.Context, rpc http.Handler, secret string) (*gateway, error) {
	lis := bufconn.Listen(1 << 20)
	inner := &http.Server{Handler: rpc, Protocols: new(http.Protocols)}
	inner.Protocols.SetUnencryptedHTTP2(true)
	go func() { _ = inner.Serve(lis) }()

	conn, err := grpc.NewClient("passthrough:///switchboard-inprocess",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
	)
	if err != nil {
		return nil, err
	}
	mux := runtime.NewServeMux(
		runtime.WithMarshalerOption(runtime.MIMEWildcard, &runtime.JSONPb{
			MarshalOptions:   protojson.MarshalOptions{EmitUnpopulated: true},
			UnmarshalOptions: protojson.UnmarshalOptions{DiscardUnknown: false},
		}),
		// Marks the call as relayed by us, so the handlers trust the
		// forwarded cookie and client address.
		runtime.WithMetadata(func(context.Context, *http.Request) metadata.MD {
			return metadata.Pairs(strings.ToLower(interceptor.GatewaySecretHeader), secret)
		}),
		runtime.WithErrorHandler(gatewayErrors),
		runtime.WithOutgoingHeaderMatcher(func(key string) (string, bool) {
			if strings.EqualFold(key, "set-cookie") {
				return "Set-Cookie", true
			}
			return runtime.MetadataHeaderPrefix + key, true
		}),
	)
	for _, register := range []func(context.Context, *runtime.ServeMux, *grpc.ClientConn) error{
		authv1.RegisterAuthServiceHandler,
		licensingv1.RegisterLicensingServiceHandler,
		licensingv1.RegisterSmartLicensingServiceHandler,
		meetingsv1.RegisterMeetingServiceHandler,
		overviewv1.RegisterOverviewServiceHandler,
		serversv1.RegisterServerServiceHandler,
		systemv1.RegisterSystemServiceHandler,
		usersv1.RegisterUserServiceHandler,
	} {
		if err := register(ctx, mux, conn); err != nil {
			_ = conn.Close()
			return nil, err
		}
	}
	if err := handleReportDownload(mux, conn); err != nil {
		_ = conn.Close()
		return nil, err
	}
	return &gateway{
		handler: mux,
		close: func() {
			_ = conn.Close()
			_ = inner.Close()
		},
	}, nil
}

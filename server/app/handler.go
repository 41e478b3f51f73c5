package app

import (
	"context"
	"crypto/rand"
	"net/http"
	"strings"

	"buf.build/go/protovalidate"
	"connectrpc.com/connect"
	"connectrpc.com/grpchealth"
	"connectrpc.com/grpcreflect"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/switchboardhq/switchboard/gen/switchboard/auth/v1/authv1connect"
	licensingv1 "github.com/switchboardhq/switchboard/gen/switchboard/licensing/v1"
	"github.com/switchboardhq/switchboard/gen/switchboard/licensing/v1/licensingv1connect"
	"github.com/switchboardhq/switchboard/gen/switchboard/meetings/v1/meetingsv1connect"
	"github.com/switchboardhq/switchboard/gen/switchboard/overview/v1/overviewv1connect"
	"github.com/switchboardhq/switchboard/gen/switchboard/servers/v1/serversv1connect"
	"github.com/switchboardhq/switchboard/gen/switchboard/system/v1/systemv1connect"
	"github.com/switchboardhq/switchboard/gen/switchboard/users/v1/usersv1connect"
	"github.com/switchboardhq/switchboard/server/api"
	apiauthv1 "github.com/switchboardhq/switchboard/server/api/authv1"
	apilicensingv1 "github.com/switchboardhq/switchboard/server/api/licensingv1"
	apimeetingsv1 "github.com/switchboardhq/switchboard/server/api/meetingsv1"
	apioverviewv1 "github.com/switchboardhq/switchboard/server/api/overviewv1"
	apiserversv1 "github.com/switchboardhq/switchboard/server/api/serversv1"
	apisystemv1 "github.com/switchboardhq/switchboard/server/api/systemv1"
	apiusersv1 "github.com/switchboardhq/switchboard/server/api/usersv1"
	"github.com/switchboardhq/switchboard/server/cdrs"
	"github.com/switchboardhq/switchboard/server/platform/audit"
	"github.com/switchboardhq/switchboard/server/platform/interceptor"
)

// maxRequestBytes bounds every API request body; uploads that need more get
// their own limit when they arrive.
const maxRequestBytes = 8 << 20

// maxUploadBytes bounds the requests of the services that take uploads
// (the 10 MiB passphrase dictionary, base64-encoded in JSON, with room to
// spare). The domain enforces the exact limit of each upload.
const maxUploadBytes = 16 << 20

// dictionaryUploadPath is the REST route of the dictionary upload, the one
// gateway route allowed maxUploadBytes.
const dictionaryUploadPath = "POST /api/v1/security-policy/passphrase-dictionary"

// service is one mounted Connect service.
type service struct {
	name    string
	path    string
	handler http.Handler
}

// compressMinBytes is the smallest response message worth compressing.
const compressMinBytes = 4 << 10

func (a *App) buildHandler(ctx context.Context, rec *audit.Recorder, validator protovalidate.Validator) error {
	gatewaySecret := rand.Text()
	opts := []connect.HandlerOption{
		connect.WithInterceptors(interceptor.Chain(interceptor.Options{
			Log:           a.log,
			Metrics:       interceptor.NewMetrics(a.metrics),
			Auth:          a.auth,
			Policy:        api.Policy,
			Unaudited:     api.Unaudited,
			Audit:         rec,
			Validator:     validator,
			GatewaySecret: gatewaySecret,
		})...),
	}
	opts = append(opts, jsonCodecs()...)
	// Compressing a message costs more than sending it until it is a few
	// KiB (a gzip writer's reset alone costs more than a meeting's bytes):
	// a watch streams thousands of small messages a second.
	opts = append(opts, connect.WithCompressMinBytes(compressMinBytes))
	standard := append(append([]connect.HandlerOption{}, opts...), connect.WithReadMaxBytes(maxRequestBytes))
	uploads := append(append([]connect.HandlerOption{}, opts...), connect.WithReadMaxBytes(maxUploadBytes))

	// Every service is listed once here; reflection, health and the policy
	// test all follow this list.
	services := []service{
		mount(authv1connect.NewAuthServiceHandler(apiauthv1.New(a.auth), standard...)),
		mount(usersv1connect.NewUserServiceHandler(apiusersv1.New(a.users), uploads...)),
		mount(systemv1connect.NewSystemServiceHandler(apisystemv1.New(a.db.Dialect, a.started, a.jobs), standard...)),
		mount(overviewv1connect.NewOverviewServiceHandler(apioverviewv1.New(a.notes, func(ctx context.Context) (*licensingv1.GetLicenseStatusResponse, error) {
			return apilicensingv1.StatusSummary(ctx, a.licSvc)
		}), standard...)),
		mount(serversv1connect.NewServerServiceHandler(apiserversv1.New(a.servers), standard...)),
		mount(meetingsv1connect.NewMeetingServiceHandler(apimeetingsv1.New(a.meet), standard...)),
		mount(licensingv1connect.NewLicensingServiceHandler(apilicensingv1.New(a.lic, a.licSvc, apilicensingv1.WithAudit(rec)), standard...)),
		mount(licensingv1connect.NewSmartLicensingServiceHandler(apilicensingv1.NewSmart(a.smart), standard...)),
	}

	rpc := http.NewServeMux()
	for _, s := range services {
		rpc.Handle(s.path, s.handler)
		a.services = append(a.services, s.name)
	}
	// Reflection lists our services and the standard ones beside them, so
	// `grpcurl list` shows everything the port serves.
	reflector := grpcreflect.NewStaticReflector(append(append([]string{}, a.services...),
		grpchealth.HealthV1ServiceName, grpcreflect.ReflectV1ServiceName, grpcreflect.ReflectV1AlphaServiceName)...)
	rpc.Handle(grpcreflect.NewHandlerV1(reflector))
	rpc.Handle(grpcreflect.NewHandlerV1Alpha(reflector))
	rpc.Handle(grpchealth.NewHandler(a.healthChecker()))

	// REST streams reach the same handlers through the gateway.
	rpcHandler := endStreamsOnShutdown(rpc, streamingProcedures(a.services), a.shutdown)
	gw, err := newGateway(ctx, rpcHandler, gatewaySecret)
	if err != nil {
		return err
	}
	a.gateway = gw

	root := http.NewServeMux()
	root.Handle("/", rpcHandler) // Connect, gRPC, gRPC-Web, reflection, health (by exact service paths)
	root.Handle("GET /api/openapi.json", openAPIHandler())
	root.Handle("/api/", http.MaxBytesHandler(gw.handler, maxRequestBytes))
	root.Handle(dictionaryUploadPath, http.MaxBytesHandler(gw.handler, maxUploadBytes))
	root.Handle("GET /metrics", promhttp.HandlerFor(a.metrics, promhttp.HandlerOpts{Registry: a.metrics}))
	root.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	root.HandleFunc("GET /readyz", a.readyz)
	root.Handle("POST /cdr/{id}", cdrHandler(cdrs.New(a.db.Ent, a.log, a.metrics), a.meet, a.log))

	console := consoleHandler()
	a.handler = securityHeaders(!a.cfg.Server.Plaintext, crossSiteGuard(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isAPIPath(r.URL.Path, a.services) {
			root.ServeHTTP(w, r)
			return
		}
		if _, pattern := root.Handler(r); pattern != "/" {
			// Served through the mux (not the handler it returned) so
			// that path values such as {id} are set.
			root.ServeHTTP(w, r)
			return
		}
		console.ServeHTTP(w, r)
	})))
	return nil
}

// streamingProcedures lists the procedures of the services that stream
// from the server.
func streamingProcedures(services []string) map[string]bool {
	out := map[string]bool{}
	for _, name := range services {
		d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(name))
		if err != nil {
			continue
		}
		sd, ok := d.(protoreflect.ServiceDescriptor)
		if !ok {
			continue
		}
		for i := range sd.Methods().Len() {
			if m := sd.Methods().Get(i); m.IsStreamingServer() {
				out["/"+name+"/"+string(m.Name())] = true
			}
		}
	}
	return out
}

// endStreamsOnShutdown ends server streams when shutdown begins: a watch
// never ends by itself, so a graceful drain would otherwise wait for it
// until its deadline. The clients watch again (on this instance once it
// is back, or on another).
func endStreamsOnShutdown(next http.Handler, streams map[string]bool, shutdown context.Context) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !streams[r.URL.Path] {
			next.ServeHTTP(w, r)
			return
		}
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		stop := context.AfterFunc(shutdown, cancel)
		defer stop()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// mount takes what a generated New...Handler returns; the service name is
// the path without its slashes.
func mount(path string, h http.Handler) service {
	return service{name: strings.Trim(path, "/"), path: path, handler: h}
}

// isAPIPath reports whether a path belongs to an RPC service (ours,
// reflection or health) rather than to the console.
func isAPIPath(path string, services []string) bool {
	for _, prefix := range []string{"/grpc.reflection.", "/grpc.health."} {
		if strings.HasPrefix(path, prefix) {
			return true
		}
	}
	for _, s := range services {
		if strings.HasPrefix(path, "/"+s+"/") {
			return true
		}
	}
	return false
}

func (a *App) healthChecker() grpchealth.Checker {
	return checkerFunc(func(ctx context.Context, req *grpchealth.CheckRequest) (*grpchealth.CheckResponse, error) {
		if req.Service != "" && !contains(a.services, req.Service) {
			return nil, connect.NewError(connect.CodeNotFound, nil)
		}
		if !a.ready.Load() || a.db.Ping(ctx) != nil {
			return &grpchealth.CheckResponse{Status: grpchealth.StatusNotServing}, nil
		}
		return &grpchealth.CheckResponse{Status: grpchealth.StatusServing}, nil
	})
}

type checkerFunc func(context.Context, *grpchealth.CheckRequest) (*grpchealth.CheckResponse, error)

func (f checkerFunc) Check(ctx context.Context, req *grpchealth.CheckRequest) (*grpchealth.CheckResponse, error) {
	return f(ctx, req)
}

// readyz reflects the listener and the store: a load balancer should only
// send traffic to an instance that can serve it.
func (a *App) readyz(w http.ResponseWriter, r *http.Request) {
	if !a.ready.Load() {
		http.Error(w, "not serving yet", http.StatusServiceUnavailable)
		return
	}
	if err := a.db.Ping(r.Context()); err != nil {
		http.Error(w, "database unavailable", http.StatusServiceUnavailable)
		return
	}
	_, _ = w.Write([]byte("ready\n"))
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

package interceptor

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"buf.build/go/protovalidate"
	"connectrpc.com/connect"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	authv1 "github.com/switchboardhq/switchboard/gen/switchboard/auth/v1"
	"github.com/switchboardhq/switchboard/gen/switchboard/auth/v1/authv1connect"
	errorsv1 "github.com/switchboardhq/switchboard/gen/switchboard/errors/v1"
	systemv1 "github.com/switchboardhq/switchboard/gen/switchboard/system/v1"
	"github.com/switchboardhq/switchboard/gen/switchboard/system/v1/systemv1connect"
	"github.com/switchboardhq/switchboard/server/platform/errs"
	"github.com/switchboardhq/switchboard/server/platform/principal"
)

func TestRedactClearsSecretFields(t *testing.T) {
	in := &authv1.SignInRequest{Username: "ada", Password: "hunter2", Cookie: true}
	out := Redact(in).(*authv1.SignInRequest)
	if out.GetPassword() != "" || out.GetUsername() != "ada" || !out.GetCookie() {
		t.Fatalf("redacted: %v", out)
	}
	if in.GetPassword() != "hunter2" {
		t.Fatal("Redact must not modify its argument")
	}
	if j := redactedJSON(in); strings.Contains(j, "hunter2") || !strings.Contains(j, "ada") {
		t.Fatalf("audit JSON: %s", j)
	}
}

// secretLike names fields that must be marked debug_redact wherever they
// appear in a Switchboard proto. Only strings and bytes can hold a secret:
// a bool such as bind_password_set or a policy message such as
// password_reuse only talks about one.
func secretLike(f protoreflect.FieldDescriptor) bool {
	if f.Kind() != protoreflect.StringKind && f.Kind() != protoreflect.BytesKind {
		return false
	}
	name := string(f.Name())
	for _, part := range []string{"password", "secret", "token", "private_key", "credential", "passphrase"} {
		if strings.Contains(name, part) && !strings.HasSuffix(name, "page_token") {
			return true
		}
	}
	return false
}

// responseSecrets are the only secret fields a response may carry: a
// session token is handed out exactly once, when the session is created,
// and an API token's secret exactly once, when the token is created.
var responseSecrets = map[protoreflect.FullName]bool{
	"switchboard.auth.v1.SignInResponse.token":          true,
	"switchboard.auth.v1.CreateApiTokenResponse.secret": true,
}

func TestSecretFieldsAreMarkedAndNeverReturned(t *testing.T) {
	var checked int
	protoregistry.GlobalFiles.RangeFiles(func(fd protoreflect.FileDescriptor) bool {
		if !strings.HasPrefix(string(fd.Package()), "switchboard.") {
			return true
		}
		walkMessages(fd.Messages(), func(md protoreflect.MessageDescriptor) {
			for i := range md.Fields().Len() {
				f := md.Fields().Get(i)
				if secretLike(f) {
					checked++
					if !IsSecretField(f) {
						t.Errorf("%s looks like a secret but is not marked debug_redact", f.FullName())
					}
					if strings.HasSuffix(string(md.Name()), "Response") && !responseSecrets[f.FullName()] {
						t.Errorf("%s returns a secret (IM-04)", f.FullName())
					}
				}
			}
		})
		return true
	})
	if checked == 0 {
		t.Fatal("no secret-like field found: the walk is broken")
	}
}

func walkMessages(mds protoreflect.MessageDescriptors, fn func(protoreflect.MessageDescriptor)) {
	for i := range mds.Len() {
		fn(mds.Get(i))
		walkMessages(mds.Get(i).Messages(), fn)
	}
}

func TestReasonsMatchTheProtoEnum(t *testing.T) {
	inProto := map[string]bool{}
	values := errorsv1.Reason(0).Descriptor().Values()
	for i := range values.Len() {
		name := strings.TrimPrefix(string(values.Get(i).Name()), "REASON_")
		if name != "UNSPECIFIED" {
			inProto[name] = true
		}
	}
	inGo := map[string]bool{}
	for _, r := range errs.AllReasons {
		inGo[string(r)] = true
		if !inProto[string(r)] {
			t.Errorf("reason %s is missing from proto/switchboard/errors/v1/errors.proto", r)
		}
	}
	for r := range inProto {
		if !inGo[r] {
			t.Errorf("proto reason %s is missing from errs.AllReasons", r)
		}
	}
}

func TestEveryKindHasACode(t *testing.T) {
	for k := errs.Internal; k <= errs.Unavailable; k++ {
		if _, ok := codeOfKind[k]; !ok {
			t.Errorf("kind %v has no Connect code", k)
		}
	}
}

func TestToConnectHidesInternalText(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	ctx := context.WithValue(context.Background(), requestIDKey{}, "req-1")

	ce := ToConnect(ctx, log, "/p", errors.New(`pq: relation "users" does not exist`))
	if ce.Code() != connect.CodeInternal || strings.Contains(ce.Message(), "relation") {
		t.Fatalf("internal text leaked: %v", ce)
	}
	if !strings.Contains(ce.Message(), "req-1") || !strings.Contains(logs.String(), "relation") {
		t.Fatal("the client gets the request id, the log gets the cause")
	}

	wrapped := errs.Wrap(errors.New("SQLSTATE 23505"), errs.AlreadyExists, errs.ReasonAlreadyExists, "a user named ada already exists")
	ce = ToConnect(ctx, log, "/p", wrapped)
	if ce.Code() != connect.CodeAlreadyExists || ce.Message() != "a user named ada already exists" {
		t.Fatalf("domain error: %v", ce)
	}
	if reason := errorInfoReason(t, ce); reason != "ALREADY_EXISTS" {
		t.Fatalf("reason %q", reason)
	}

	ce = ToConnect(ctx, log, "/p", errs.Invalid("bridge.port", "must be 1-65535"))
	var br *errdetails.BadRequest
	for _, d := range ce.Details() {
		if v, err := d.Value(); err == nil {
			if b, ok := v.(*errdetails.BadRequest); ok {
				br = b
			}
		}
	}
	if ce.Code() != connect.CodeInvalidArgument || br == nil || br.GetFieldViolations()[0].GetField() != "bridge.port" {
		t.Fatalf("field violation: %v %v", ce, br)
	}
}

func errorInfoReason(t *testing.T, ce *connect.Error) string {
	t.Helper()
	for _, d := range ce.Details() {
		v, err := d.Value()
		if err != nil {
			t.Fatal(err)
		}
		if info, ok := v.(*errdetails.ErrorInfo); ok {
			if info.GetDomain() != ErrorDomain {
				t.Fatalf("domain %q", info.GetDomain())
			}
			return info.GetReason()
		}
	}
	t.Fatal("no ErrorInfo detail")
	return ""
}

// fixedAuth is the test's Authenticator: one token, one caller.
type fixedAuth struct{ p *principal.Principal }

func (f fixedAuth) Authenticate(_ context.Context, token string) (*principal.Principal, error) {
	if token == "good" {
		return f.p, nil
	}
	return nil, errs.New(errs.Unauthenticated, errs.ReasonUnauthenticated, "bad token")
}

type versionHandler struct {
	systemv1connect.UnimplementedSystemServiceHandler
	panics bool
}

func (h versionHandler) GetVersion(context.Context, *connect.Request[systemv1.GetVersionRequest]) (*connect.Response[systemv1.GetVersionResponse], error) {
	if h.panics {
		panic("boom")
	}
	return connect.NewResponse(&systemv1.GetVersionResponse{Version: "test"}), nil
}

func newSystemClient(t *testing.T, policy Policy, role principal.Role, h versionHandler) systemv1connect.SystemServiceClient {
	t.Helper()
	v, err := protovalidate.New()
	if err != nil {
		t.Fatal(err)
	}
	chain := Chain(Options{
		Log:       slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil)),
		Auth:      fixedAuth{p: &principal.Principal{Username: "u", Role: role, ExpireTime: time.Now().Add(time.Hour)}},
		Policy:    policy,
		Validator: v,
	})
	mux := http.NewServeMux()
	mux.Handle(systemv1connect.NewSystemServiceHandler(h, connect.WithInterceptors(chain...)))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return systemv1connect.NewSystemServiceClient(srv.Client(), srv.URL)
}

func getVersion(c systemv1connect.SystemServiceClient, token string) error {
	req := connect.NewRequest(&systemv1.GetVersionRequest{})
	if token != "" {
		req.Header().Set("Authorization", "Bearer "+token)
	}
	_, err := c.GetVersion(context.Background(), req)
	return err
}

func TestAuthorizationTable(t *testing.T) {
	proc := systemv1connect.SystemServiceGetVersionProcedure
	cases := []struct {
		name   string
		policy Policy
		role   principal.Role
		token  string
		want   connect.Code // 0 = success
	}{
		{"missing entry denies even an administrator", Policy{}, principal.RoleAdministrator, "good", connect.CodePermissionDenied},
		{"explicit deny", Policy{proc: Deny}, principal.RoleAdministrator, "good", connect.CodePermissionDenied},
		{"public needs no session", Policy{proc: Public}, "", "", 0},
		{"public ignores a bad token", Policy{proc: Public}, "", "bad", 0},
		{"signed-in refuses anonymous", Policy{proc: SignedIn}, "", "", connect.CodeUnauthenticated},
		{"signed-in refuses a bad token", Policy{proc: SignedIn}, "", "bad", connect.CodeUnauthenticated},
		{"signed-in admits an operator", Policy{proc: SignedIn}, principal.RoleVideoOperator, "good", 0},
		{"administrator refuses an operator", Policy{proc: Administrator}, principal.RoleVideoOperator, "good", connect.CodePermissionDenied},
		{"administrator refuses anonymous", Policy{proc: Administrator}, "", "", connect.CodeUnauthenticated},
		{"administrator admits an administrator", Policy{proc: Administrator}, principal.RoleAdministrator, "good", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := getVersion(newSystemClient(t, tc.policy, tc.role, versionHandler{}), tc.token)
			if tc.want == 0 && err != nil {
				t.Fatalf("want success, got %v", err)
			}
			if tc.want != 0 && connect.CodeOf(err) != tc.want {
				t.Fatalf("want %v, got %v", tc.want, err)
			}
		})
	}
}

func TestPanicBecomesInternal(t *testing.T) {
	c := newSystemClient(t, Policy{systemv1connect.SystemServiceGetVersionProcedure: Public}, "", versionHandler{panics: true})
	err := getVersion(c, "")
	if connect.CodeOf(err) != connect.CodeInternal || strings.Contains(err.Error(), "boom") {
		t.Fatalf("want a bare internal error, got %v", err)
	}
}

func TestValidationNamesTheField(t *testing.T) {
	v, err := protovalidate.New()
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(authv1connect.NewAuthServiceHandler(authv1connect.UnimplementedAuthServiceHandler{},
		connect.WithInterceptors(Chain(Options{
			Log:       slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil)),
			Auth:      fixedAuth{},
			Policy:    Policy{authv1connect.AuthServiceSignInProcedure: Public},
			Validator: v,
		})...)))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c := authv1connect.NewAuthServiceClient(srv.Client(), srv.URL)
	_, err = c.SignIn(context.Background(), connect.NewRequest(&authv1.SignInRequest{Username: strings.Repeat("a", 257), Password: "x"}))
	if connect.CodeOf(err) != connect.CodeInvalidArgument || !strings.Contains(err.Error(), "username") {
		t.Fatalf("want InvalidArgument naming username, got %v", err)
	}
	var ce *connect.Error
	if !errors.As(err, &ce) || errorInfoReason(t, ce) != "INVALID_ARGUMENT" {
		t.Fatalf("want reason INVALID_ARGUMENT: %v", err)
	}
}

func TestReasonsAreDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../../docs/errors.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range errs.AllReasons {
		if !strings.Contains(string(doc), "| `"+string(r)+"` |") {
			t.Errorf("docs/errors.md does not document %s", r)
		}
	}
}

package app

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/emptypb"

	switchboard "github.com/switchboardhq/switchboard/clients/go"
	"github.com/switchboardhq/switchboard/ent/auditevent"
	"github.com/switchboardhq/switchboard/ent/user"
	authv1 "github.com/switchboardhq/switchboard/gen/switchboard/auth/v1"
	"github.com/switchboardhq/switchboard/gen/switchboard/meetings/v1/meetingsv1connect"
	"github.com/switchboardhq/switchboard/server/api"
	"github.com/switchboardhq/switchboard/server/platform/interceptor"
	"github.com/switchboardhq/switchboard/server/platform/principal"
)

func insecureHTTPClient() *http.Client {
	tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, Protocols: new(http.Protocols)}
	tr.Protocols.SetHTTP1(true)
	tr.Protocols.SetHTTP2(true)
	return &http.Client{Transport: tr}
}

func sdk(t *testing.T, s *testServer, grpcProtocol bool, username, password string) (*switchboard.Client, error) {
	t.Helper()
	return switchboard.New(context.Background(), switchboard.Options{
		BaseURL: s.url, Username: username, Password: password, GRPC: grpcProtocol, InsecureSkipVerify: true,
	})
}

// TestSignInOnEveryProtocol signs in over Connect, gRPC and REST and checks
// that WhoAmI gives the same identity on each.
func TestSignInOnEveryProtocol(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *testServer) {
		ctx := context.Background()
		want := &authv1.Identity{Username: "admin", Role: authv1.Role_ROLE_ADMINISTRATOR,
			Source: authv1.IdentitySource_IDENTITY_SOURCE_LOCAL, DisplayName: "admin"}

		for _, grpcProtocol := range []bool{false, true} {
			c, err := sdk(t, s, grpcProtocol, "admin", adminPassword)
			if err != nil {
				t.Fatalf("sign in (grpc=%v): %v", grpcProtocol, err)
			}
			if !strings.HasPrefix(c.Token(), "sbs_") {
				t.Fatalf("token %q", c.Token())
			}
			res, err := c.Auth.WhoAmI(ctx, connect.NewRequest(&authv1.WhoAmIRequest{}))
			if err != nil {
				t.Fatal(err)
			}
			if got := res.Msg.GetIdentity(); got.String() != want.String() {
				t.Fatalf("WhoAmI (grpc=%v) = %v, want %v", grpcProtocol, got, want)
			}
		}

		// REST through the gateway.
		status, body, _ := s.post(t, "/api/v1/auth/sign-in", "application/json",
			`{"username":"admin","password":"`+adminPassword+`"}`, nil)
		if status != http.StatusOK {
			t.Fatalf("REST sign-in: %d %s", status, body)
		}
		var signIn struct{ Token string }
		if err := json.Unmarshal([]byte(body), &signIn); err != nil || signIn.Token == "" {
			t.Fatalf("REST sign-in body: %s", body)
		}
		status, body, _ = s.get(t, "/api/v1/auth/whoami", bearer(signIn.Token))
		if status != http.StatusOK {
			t.Fatalf("REST whoami: %d %s", status, body)
		}
		var who struct {
			Identity struct{ Username, Role, Source string }
		}
		if err := json.Unmarshal([]byte(body), &who); err != nil {
			t.Fatal(err)
		}
		if who.Identity.Username != "admin" || who.Identity.Role != "ROLE_ADMINISTRATOR" || who.Identity.Source != "IDENTITY_SOURCE_LOCAL" {
			t.Fatalf("REST whoami body: %s", body)
		}

		// Connect JSON, as curl sends it.
		status, body, _ = s.post(t, "/switchboard.auth.v1.AuthService/WhoAmI", "application/json", "{}", bearer(signIn.Token))
		if status != http.StatusOK || !strings.Contains(body, `"username":"admin"`) {
			t.Fatalf("Connect whoami: %d %s", status, body)
		}
	})
}

func TestUnauthenticatedCallsAreRefused(t *testing.T) {
	s := start(t, "sqlite")
	c, err := sdk(t, s, false, "", "")
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Auth.WhoAmI(context.Background(), connect.NewRequest(&authv1.WhoAmIRequest{}))
	if connect.CodeOf(err) != connect.CodeUnauthenticated {
		t.Fatalf("Connect: want Unauthenticated, got %v", err)
	}
	gc, _ := sdk(t, s, true, "", "")
	_, err = gc.Auth.WhoAmI(context.Background(), connect.NewRequest(&authv1.WhoAmIRequest{}))
	if connect.CodeOf(err) != connect.CodeUnauthenticated {
		t.Fatalf("gRPC: want Unauthenticated, got %v", err)
	}
	if status, body, _ := s.get(t, "/api/v1/auth/whoami", nil); status != http.StatusUnauthorized {
		t.Fatalf("REST: want 401, got %d %s", status, body)
	}
	if status, _, _ := s.get(t, "/api/v1/auth/whoami", bearer("sbs_forged")); status != http.StatusUnauthorized {
		t.Fatalf("REST with a forged token: want 401, got %d", status)
	}
	if _, err := sdk(t, s, false, "admin", "wrong"); connect.CodeOf(err) != connect.CodeUnauthenticated {
		t.Fatalf("wrong password: want Unauthenticated, got %v", err)
	}
}

// TestPolicyCoversEveryMethod walks every method of every served service and
// fails if the policy table lacks it, or names a method nobody serves.
func TestPolicyCoversEveryMethod(t *testing.T) {
	s := start(t, "sqlite")
	served := map[string]bool{}
	for _, name := range s.app.ServiceNames() {
		d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(name))
		if err != nil {
			t.Fatalf("service %s: %v", name, err)
		}
		methods := d.(protoreflect.ServiceDescriptor).Methods()
		for i := range methods.Len() {
			proc := "/" + name + "/" + string(methods.Get(i).Name())
			served[proc] = true
			if access, ok := api.Policy[proc]; !ok || access == interceptor.Deny {
				t.Errorf("%s has no authorization rule in server/api/policy.go", proc)
			}
		}
	}
	for proc := range api.Policy {
		if !served[proc] {
			t.Errorf("policy names %s, which no served service has", proc)
		}
	}
	if len(served) < 4 {
		t.Fatalf("walked only %d methods: the walk is broken", len(served))
	}
}

// TestRoleTable calls every RPC over Connect and over REST as an anonymous
// caller, an operator, an administrator, and API tokens of both roles,
// and checks the outcome against the policy (AU-03, AU-05, AU-06, AU-07):
// a denied call gets exactly unauthenticated (anonymous) or
// permission_denied (a signed-in role that may not call it); an allowed
// call gets neither (it may fail validation: the bodies are empty).
func TestRoleTable(t *testing.T) {
	s := start(t, "sqlite")
	s.addUser(t, "olga", "operator-pw", user.RoleVideoOperator)
	signIn := func(name, pw string) string {
		c, err := sdk(t, s, false, name, pw)
		if err != nil {
			t.Fatal(err)
		}
		return c.Token()
	}
	expire := time.Now().Add(time.Hour)
	_, adminToken, err := s.app.Auth().CreateAPIToken(context.Background(), "matrix-admin", principal.RoleAdministrator, expire, "test")
	if err != nil {
		t.Fatal(err)
	}
	_, operatorToken, err := s.app.Auth().CreateAPIToken(context.Background(), "matrix-operator", principal.RoleVideoOperator, expire, "test")
	if err != nil {
		t.Fatal(err)
	}
	callers := []string{"anonymous", "operator", "administrator", "operator API token", "administrator API token"}
	credential := func(caller string) http.Header {
		switch caller {
		case "operator":
			return bearer(signIn("olga", "operator-pw"))
		case "administrator":
			return bearer(signIn("admin", adminPassword))
		case "operator API token":
			return bearer(operatorToken)
		case "administrator API token":
			return bearer(adminToken)
		}
		return nil
	}
	checked := 0
	for proc, access := range api.Policy {
		route := restRoute(t, proc)
		for _, caller := range callers {
			allowed := access.Allows(nil)
			switch caller {
			case "operator", "operator API token":
				allowed = access == interceptor.SignedIn || access == interceptor.Public
			case "administrator", "administrator API token":
				allowed = true
			}
			want := ""
			if !allowed {
				want = "permission_denied"
				if caller == "anonymous" {
					want = "unauthenticated"
				}
			}
			if isServerStreaming(t, proc) {
				// A stream stays open for an allowed caller: look only at
				// how it starts, over Connect and over REST.
				code, status := s.streamStart(t, proc, route, credential(caller))
				wantCode, wantStatus := want, map[string]int{"unauthenticated": 401, "permission_denied": 403, "": 200}[want]
				if r, ok := streamRefusals[proc]; ok && want == "" {
					wantCode, wantStatus = r.code, r.status
				}
				if code != wantCode {
					t.Errorf("Connect stream %s as %s: %q (policy %v), want %q", proc, caller, code, access, wantCode)
				}
				if status != wantStatus {
					t.Errorf("REST stream %s %s as %s: status %d (policy %v), want %d", route.method, route.path, caller, status, access, wantStatus)
				}
				checked++
				continue
			}
			// Connect.
			status, body, _ := s.post(t, proc, "application/json", "{}", credential(caller))
			var e struct{ Code string }
			_ = json.Unmarshal([]byte(body), &e)
			denied := e.Code == "unauthenticated" || e.Code == "permission_denied"
			if (want == "" && denied) || (want != "" && e.Code != want) {
				t.Errorf("Connect %s as %s: status %d %s (policy %v), want %q", proc, caller, status, body, access, want)
			}
			// REST, through the gateway.
			status, body = s.rest(t, route, credential(caller))
			wantStatus := map[string]int{"unauthenticated": 401, "permission_denied": 403}[want]
			if (want == "" && (status == 401 || status == 403)) || (want != "" && status != wantStatus) {
				t.Errorf("REST %s %s as %s: status %d %s (policy %v), want %q", route.method, route.path, caller, status, body, access, want)
			}
			checked++
		}
	}
	if checked != len(api.Policy)*len(callers) || len(api.Policy) < 38 {
		t.Fatalf("checked only %d calls", checked)
	}
}

// streamRefusals are the streams that refuse the role table's requests
// after authorization, with what an allowed caller gets: WatchMeeting's
// empty Connect request names no meeting, and its REST path names one that
// does not exist.
var streamRefusals = map[string]struct {
	code   string
	status int
}{
	meetingsv1connect.MeetingServiceWatchMeetingProcedure: {"invalid_argument", http.StatusNotFound},
}

// route is the REST mapping of a procedure.
type route struct{ method, path string }

// restRoute reads a procedure's google.api.http rule and fills its path
// parameters with values that name nothing.
func restRoute(t *testing.T, proc string) route {
	t.Helper()
	name := strings.ReplaceAll(strings.TrimPrefix(proc, "/"), "/", ".")
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(name))
	if err != nil {
		t.Fatalf("%s: %v", proc, err)
	}
	rule, ok := proto.GetExtension(d.(protoreflect.MethodDescriptor).Options(), annotations.E_Http).(*annotations.HttpRule)
	if !ok || rule == nil {
		t.Fatalf("%s has no google.api.http rule", proc)
	}
	var r route
	switch {
	case rule.GetGet() != "":
		r = route{http.MethodGet, rule.GetGet()}
	case rule.GetPost() != "":
		r = route{http.MethodPost, rule.GetPost()}
	case rule.GetPatch() != "":
		r = route{http.MethodPatch, rule.GetPatch()}
	case rule.GetDelete() != "":
		r = route{http.MethodDelete, rule.GetDelete()}
	case rule.GetPut() != "":
		r = route{http.MethodPut, rule.GetPut()}
	default:
		t.Fatalf("%s: unsupported http rule %v", proc, rule)
	}
	if !strings.HasPrefix(r.path, "/api/v1/") {
		t.Errorf("%s: REST path %s is not under /api/v1/", proc, r.path)
	}
	r.path = strings.NewReplacer("{id}", "999999", "{username}", "nobody-here", "{cluster_id}", "999999",
		"{name=**}", "no-such-job",
		"{meeting_id}", "no-such-meeting", "{participant_id}", "no-such-participant").Replace(r.path)
	return r
}

func isServerStreaming(t *testing.T, proc string) bool {
	t.Helper()
	name := strings.ReplaceAll(strings.TrimPrefix(proc, "/"), "/", ".")
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(name))
	if err != nil {
		t.Fatalf("%s: %v", proc, err)
	}
	return d.(protoreflect.MethodDescriptor).IsStreamingServer()
}

// streamStart opens a server stream over Connect (JSON, with an empty
// request) and over REST, and returns the Connect error code of the first
// receive ("" when a message arrived) and the REST status.
func (s *testServer) streamStart(t *testing.T, proc string, r route, header http.Header) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c := connect.NewClient[emptypb.Empty, emptypb.Empty](insecureHTTPClient(), s.url+proc, connect.WithProtoJSON())
	req := connect.NewRequest(&emptypb.Empty{})
	for k, v := range header {
		req.Header()[k] = v
	}
	stream, err := c.CallServerStream(ctx, req)
	code := ""
	if err != nil {
		code = connect.CodeOf(err).String()
	} else {
		if !stream.Receive() && stream.Err() != nil {
			code = connect.CodeOf(stream.Err()).String()
		}
		_ = stream.Close()
	}
	hreq, err := http.NewRequestWithContext(ctx, r.method, s.url+r.path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		hreq.Header[k] = v
	}
	res, err := insecureHTTPClient().Do(hreq)
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	return code, res.StatusCode
}

func (s *testServer) rest(t *testing.T, r route, header http.Header) (int, string) {
	t.Helper()
	var body io.Reader
	if r.method != http.MethodGet && r.method != http.MethodDelete {
		body = strings.NewReader("{}")
	}
	req, err := http.NewRequest(r.method, s.url+r.path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header[k] = v
	}
	status, b, _ := do(t, req)
	return status, b
}

func TestBadInput(t *testing.T) {
	s := start(t, "sqlite")
	cases := []struct {
		name, path, body, wantField string
		wantStatus                  int
	}{
		{"connect malformed JSON", "/switchboard.auth.v1.AuthService/SignIn", `{"username": "admin",`, "not a valid switchboard.auth.v1.SignInRequest in JSON", 400},
		{"connect over-long username", "/switchboard.auth.v1.AuthService/SignIn", `{"username":"` + strings.Repeat("u", 257) + `","password":"x"}`, "username", 400},
		{"connect empty password", "/switchboard.auth.v1.AuthService/SignIn", `{"username":"admin","password":""}`, "password", 400},
		{"connect unknown field", "/switchboard.auth.v1.AuthService/SignIn", `{"username":"admin","pasword":"x"}`, "pasword", 400},
		{"REST malformed JSON", "/api/v1/auth/sign-in", `{"username": `, "not valid JSON", 400},
		{"REST wrong type", "/api/v1/auth/sign-in", `{"username": 5, "password": "x"}`, "username", 400},
		{"REST over-long username", "/api/v1/auth/sign-in", `{"username":"` + strings.Repeat("u", 257) + `","password":"x"}`, "username", 400},
		{"REST empty password", "/api/v1/auth/sign-in", `{"username":"admin","password":""}`, "password", 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body, _ := s.post(t, tc.path, "application/json", tc.body, nil)
			if status != tc.wantStatus {
				t.Fatalf("status %d, want %d: %s", status, tc.wantStatus, body)
			}
			var e struct {
				Code    any
				Message string
			}
			if err := json.Unmarshal([]byte(body), &e); err != nil {
				t.Fatalf("error body is not JSON: %s", body)
			}
			if e.Code != "invalid_argument" && e.Code != float64(3) {
				t.Fatalf("code %v, want invalid_argument: %s", e.Code, body)
			}
			if !strings.Contains(e.Message, tc.wantField) {
				t.Fatalf("message %q does not name the field %q", e.Message, tc.wantField)
			}
		})
	}
}

// TestPasswordIsNeverLoggedOrAudited signs in with marker passwords, right
// and wrong, on every protocol and searches the log and the audit trail.
func TestPasswordIsNeverLoggedOrAudited(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *testServer) {
		ctx := context.Background()
		const marker = "Marker-Password-93517"
		s.addUser(t, "mallory", marker, user.RoleVideoOperator)
		for _, pw := range []string{marker, marker + "-wrong"} {
			_, _ = sdk(t, s, false, "mallory", pw)
			_, _ = sdk(t, s, true, "mallory", pw)
			s.post(t, "/api/v1/auth/sign-in", "application/json", `{"username":"mallory","password":"`+pw+`"}`, nil)
		}
		if strings.Contains(s.logs.String(), marker) {
			t.Fatal("the server log contains a password")
		}
		if strings.Contains(s.logs.String(), adminPassword) {
			t.Fatal("the server log contains the configured bootstrap password")
		}
		events, err := s.app.db.Ent.AuditEvent.Query().Where(auditevent.Action("/switchboard.auth.v1.AuthService/SignIn")).All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(events) != 6 {
			t.Fatalf("want 6 sign-in audit records, got %d", len(events))
		}
		var ok, failed int
		for _, e := range events {
			if strings.Contains(e.Details, marker) {
				t.Fatalf("audit record holds the password: %s", e.Details)
			}
			if e.Actor != "mallory" || e.RemoteAddr != "127.0.0.1" {
				t.Fatalf("audit record actor/address: %+v", e)
			}
			switch e.Outcome {
			case "OK":
				ok++
			case "INVALID_CREDENTIALS":
				failed++
			}
		}
		if ok != 3 || failed != 3 {
			t.Fatalf("outcomes: %d OK, %d INVALID_CREDENTIALS", ok, failed)
		}
		// Three failures emptied mallory's rate-limit bucket: even the right
		// password is refused now, and the refusal is audited (AU-44, AU-60).
		if _, err := sdk(t, s, false, "mallory", marker); connect.CodeOf(err) != connect.CodeResourceExhausted {
			t.Fatalf("want ResourceExhausted after three failures, got %v", err)
		}
		if n, _ := s.app.db.Ent.AuditEvent.Query().Where(auditevent.Action("/switchboard.auth.v1.AuthService/SignIn"),
			auditevent.Outcome("RATE_LIMITED"), auditevent.Actor("mallory")).Count(ctx); n != 1 {
			t.Fatalf("want one RATE_LIMITED audit record, got %d", n)
		}
		// Reads are not audited.
		c, _ := sdk(t, s, false, "admin", adminPassword)
		_, _ = c.Auth.WhoAmI(ctx, connect.NewRequest(&authv1.WhoAmIRequest{}))
		if n, _ := s.app.db.Ent.AuditEvent.Query().Where(auditevent.Action("/switchboard.auth.v1.AuthService/WhoAmI")).Count(ctx); n != 0 {
			t.Fatalf("WhoAmI must not be audited, got %d records", n)
		}
	})
}

func TestBrowserCookieSession(t *testing.T) {
	s := start(t, "sqlite")
	connectJSON := "application/json"
	status, body, header := s.post(t, "/switchboard.auth.v1.AuthService/SignIn", connectJSON,
		`{"username":"admin","password":"`+adminPassword+`","cookie":true}`, nil)
	if status != http.StatusOK {
		t.Fatalf("sign in: %d %s", status, body)
	}
	if strings.Contains(body, "sbs_") {
		t.Fatalf("a cookie sign-in must not return the token to scripts: %s", body)
	}
	setCookie := header.Get("Set-Cookie")
	for _, attr := range []string{interceptor.SessionCookie + "=sbs_", "HttpOnly", "Secure", "SameSite=Strict", "Path=/"} {
		if !strings.Contains(setCookie, attr) {
			t.Fatalf("Set-Cookie %q lacks %s", setCookie, attr)
		}
	}
	cookie := strings.SplitN(setCookie, ";", 2)[0]
	withCookie := func(extra ...string) http.Header {
		h := http.Header{"Cookie": {cookie}}
		for i := 0; i+1 < len(extra); i += 2 {
			h.Set(extra[i], extra[i+1])
		}
		return h
	}
	// The cookie authenticates Connect and REST calls.
	if status, body, _ := s.post(t, "/switchboard.auth.v1.AuthService/WhoAmI", connectJSON, "{}", withCookie()); status != 200 {
		t.Fatalf("Connect with cookie: %d %s", status, body)
	}
	if status, body, _ := s.get(t, "/api/v1/auth/whoami", withCookie()); status != 200 {
		t.Fatalf("REST with cookie: %d %s", status, body)
	}
	// A state-changing call from another site is refused (CSRF).
	if status, _, _ := s.post(t, "/switchboard.auth.v1.AuthService/SignOut", connectJSON, "{}",
		withCookie("Origin", "https://evil.example")); status != http.StatusForbidden {
		t.Fatalf("cross-origin sign-out: want 403, got %d", status)
	}
	if status, _, _ := s.post(t, "/api/v1/auth/sign-out", connectJSON, "{}",
		withCookie("Sec-Fetch-Site", "cross-site")); status != http.StatusForbidden {
		t.Fatalf("cross-site REST sign-out: want 403, got %d", status)
	}
	// Same-origin sign-out works and clears the cookie.
	status, body, header = s.post(t, "/switchboard.auth.v1.AuthService/SignOut", connectJSON, "{}",
		withCookie("Origin", s.url, "Sec-Fetch-Site", "same-origin"))
	if status != 200 || !strings.Contains(header.Get("Set-Cookie"), "Max-Age=0") {
		t.Fatalf("sign out: %d %s %q", status, body, header.Get("Set-Cookie"))
	}
	if status, _, _ := s.get(t, "/api/v1/auth/whoami", withCookie()); status != http.StatusUnauthorized {
		t.Fatalf("after sign-out: want 401, got %d", status)
	}
}

func TestRESTSignInSetsCookie(t *testing.T) {
	s := start(t, "sqlite")
	status, body, header := s.post(t, "/api/v1/auth/sign-in", "application/json",
		`{"username":"admin","password":"`+adminPassword+`","cookie":true}`, nil)
	if status != 200 || !strings.Contains(header.Get("Set-Cookie"), interceptor.SessionCookie+"=sbs_") {
		t.Fatalf("REST cookie sign-in: %d %s %v", status, body, header)
	}
}

func TestReflectionAndHealthOverGRPC(t *testing.T) {
	s := start(t, "sqlite")
	conn, err := grpc.NewClient(s.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx := context.Background()

	hc, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
	if err != nil || hc.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health: %v %v", hc, err)
	}
	stream, err := reflectionpb.NewServerReflectionClient(conn).ServerReflectionInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&reflectionpb.ServerReflectionRequest{
		MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}}); err != nil {
		t.Fatal(err)
	}
	res, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, svc := range res.GetListServicesResponse().GetService() {
		got[svc.GetName()] = true
	}
	for _, want := range []string{"switchboard.auth.v1.AuthService", "switchboard.system.v1.SystemService",
		"grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"} {
		if !got[want] {
			t.Fatalf("reflection lists %v, missing %s", got, want)
		}
	}
}

func TestOperationalEndpoints(t *testing.T) {
	s := start(t, "sqlite")
	// Make one RPC so the RPC series exist.
	s.post(t, "/switchboard.auth.v1.AuthService/WhoAmI", "application/json", "{}", nil)

	status, body, _ := s.get(t, "/metrics", nil)
	if status != 200 || !strings.Contains(body, "switchboard_rpc_requests_total") || !strings.Contains(body, "go_goroutines") {
		t.Fatalf("/metrics: %d", status)
	}
	if status, _, _ := s.get(t, "/healthz", nil); status != 200 {
		t.Fatalf("/healthz: %d", status)
	}
	status, body, _ = s.get(t, "/api/openapi.json", nil)
	if status != 200 || !strings.Contains(body, `"/api/v1/auth/sign-in"`) || !strings.Contains(body, `"Switchboard API"`) {
		t.Fatalf("/api/openapi.json: %d %.200s", status, body)
	}
	status, _, header := s.get(t, "/meetings", nil)
	if status != 200 && status != 404 {
		t.Fatalf("console route: %d", status)
	}
	for _, h := range []string{"Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options"} {
		if header.Get(h) == "" {
			t.Errorf("console response lacks %s", h)
		}
	}
	if !strings.Contains(header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Error("CSP must forbid framing")
	}
}

func TestHTTPSByDefault(t *testing.T) {
	s := start(t, "sqlite", withTLS())
	if !strings.HasPrefix(s.url, "https://") {
		t.Fatal("not TLS")
	}
	c, err := sdk(t, s, true, "admin", adminPassword)
	if err != nil {
		t.Fatalf("gRPC over TLS: %v", err)
	}
	if _, err := c.Auth.WhoAmI(context.Background(), connect.NewRequest(&authv1.WhoAmIRequest{})); err != nil {
		t.Fatal(err)
	}
	_, _, header := s.get(t, "/healthz", nil)
	if header.Get("Strict-Transport-Security") == "" {
		t.Fatal("HSTS header missing over TLS")
	}
}

// TestGRPCWeb makes a raw gRPC-Web call, as a browser using grpc-web would.
func TestGRPCWeb(t *testing.T) {
	s := start(t, "sqlite")
	body, err := proto.Marshal(&authv1.SignInRequest{Username: "admin", Password: adminPassword})
	if err != nil {
		t.Fatal(err)
	}
	frame := append([]byte{0, 0, 0, 0, byte(len(body))}, body...)
	status, resp, header := s.post(t, "/switchboard.auth.v1.AuthService/SignIn", "application/grpc-web+proto",
		string(frame), http.Header{"X-Grpc-Web": {"1"}})
	if status != http.StatusOK || header.Get("Grpc-Status") != "" && header.Get("Grpc-Status") != "0" {
		t.Fatalf("grpc-web: %d %v", status, header)
	}
	if !strings.Contains(resp, "sbs_") || !strings.Contains(resp, "grpc-status: 0") {
		t.Fatalf("grpc-web response lacks a token or the OK trailer: %q", resp)
	}
}

func TestOversizedRequestIsRefused(t *testing.T) {
	s := start(t, "sqlite")
	huge := `{"username":"admin","password":"` + strings.Repeat("x", maxRequestBytes+1) + `"}`
	for _, path := range []string{"/switchboard.auth.v1.AuthService/SignIn", "/api/v1/auth/sign-in"} {
		status, body, _ := s.post(t, path, "application/json", huge, nil)
		if status < 400 || status >= 500 || len(body) > 4096 {
			t.Errorf("%s: want a short 4xx refusal, got %d %.200s", path, status, body)
		}
	}
	// The server is still fine afterwards.
	if _, err := sdk(t, s, false, "admin", adminPassword); err != nil {
		t.Fatal(err)
	}
}

// TestUnauditedIsJustified keeps the audit opt-out list to served,
// state-changing methods, and checks that it takes effect.
func TestUnauditedIsJustified(t *testing.T) {
	s := start(t, "sqlite")
	for proc, why := range api.Unaudited {
		name := strings.TrimPrefix(proc, "/")
		svc, method, _ := strings.Cut(name, "/")
		d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(svc + "." + method))
		if err != nil {
			t.Errorf("%s: %v", proc, err)
			continue
		}
		if !interceptor.ChangesState(d.(protoreflect.MethodDescriptor)) || why == "" {
			t.Errorf("%s: only state-changing methods need an opt-out, and it needs a reason", proc)
		}
	}
	c, err := sdk(t, s, false, "admin", adminPassword)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Auth.ReportActivity(context.Background(), connect.NewRequest(&authv1.ReportActivityRequest{})); err != nil {
		t.Fatal(err)
	}
	n, err := s.app.db.Ent.AuditEvent.Query().Where(auditevent.Action("/switchboard.auth.v1.AuthService/ReportActivity")).Count(context.Background())
	if err != nil || n != 0 {
		t.Fatalf("ReportActivity audited %d times (%v)", n, err)
	}
}

package app

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	switchboard "github.com/switchboardhq/switchboard/clients/go"
	"github.com/switchboardhq/switchboard/ent/auditevent"
	authv1 "github.com/switchboardhq/switchboard/gen/switchboard/auth/v1"
	overviewv1 "github.com/switchboardhq/switchboard/gen/switchboard/overview/v1"
	serversv1 "github.com/switchboardhq/switchboard/gen/switchboard/servers/v1"
	usersv1 "github.com/switchboardhq/switchboard/gen/switchboard/users/v1"
	"github.com/switchboardhq/switchboard/server/users/ldaptest"
)

func violations(t *testing.T, err error) (reason string, fields []string) {
	t.Helper()
	var ce *connect.Error
	if !errors.As(err, &ce) {
		t.Fatalf("not a Connect error: %v", err)
	}
	for _, d := range ce.Details() {
		v, _ := d.Value()
		switch v := v.(type) {
		case *errdetails.ErrorInfo:
			reason = v.GetReason()
		case *errdetails.BadRequest:
			for _, fv := range v.GetFieldViolations() {
				fields = append(fields, fv.GetField())
			}
		}
	}
	return reason, fields
}

// TestUsersAPI drives the local-user, policy and token RPCs through the Go
// SDK (Connect and gRPC) and REST.
func TestUsersAPI(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *testServer) {
		ctx := context.Background()
		admin, err := sdk(t, s, false, "admin", adminPassword)
		if err != nil {
			t.Fatal(err)
		}
		// An API token works with the SDK (Options.Token).
		created, err := admin.Auth.CreateApiToken(ctx, connect.NewRequest(&authv1.CreateApiTokenRequest{
			Name: "integration", Role: authv1.Role_ROLE_ADMINISTRATOR, ExpireTime: timestamppb.New(time.Now().Add(time.Hour))}))
		if err != nil {
			t.Fatal(err)
		}
		for _, grpcProtocol := range []bool{false, true} {
			tc, err := switchboard.New(ctx, switchboard.Options{BaseURL: s.url, Token: created.Msg.GetSecret(), GRPC: grpcProtocol})
			if err != nil {
				t.Fatal(err)
			}
			me, err := tc.Auth.WhoAmI(ctx, connect.NewRequest(&authv1.WhoAmIRequest{}))
			if err != nil || me.Msg.GetIdentity().GetSource() != authv1.IdentitySource_IDENTITY_SOURCE_API_TOKEN ||
				me.Msg.GetIdentity().GetUsername() != "integration" {
				t.Fatalf("WhoAmI with an API token: %v %v", me, err)
			}
			if _, err := tc.Users.ListLocalUsers(ctx, connect.NewRequest(&usersv1.ListLocalUsersRequest{})); err != nil {
				t.Fatal(err)
			}
		}
		tokens, err := admin.Auth.ListApiTokens(ctx, connect.NewRequest(&authv1.ListApiTokensRequest{}))
		if err != nil || len(tokens.Msg.GetApiTokens()) != 1 || tokens.Msg.GetApiTokens()[0].GetLastUseTime() == nil {
			t.Fatalf("tokens: %v %v", tokens, err)
		}

		// Local users.
		_, err = admin.Users.CreateLocalUser(ctx, connect.NewRequest(&usersv1.CreateLocalUserRequest{
			Username: "olga", FirstName: "Olga", Role: authv1.Role_ROLE_VIDEO_OPERATOR, Password: "Olga-Initial-1"}))
		if err != nil {
			t.Fatal(err)
		}
		_, err = admin.Users.CreateLocalUser(ctx, connect.NewRequest(&usersv1.CreateLocalUserRequest{
			Username: "olga", Role: authv1.Role_ROLE_VIDEO_OPERATOR, Password: "x"}))
		if connect.CodeOf(err) != connect.CodeAlreadyExists {
			t.Fatalf("duplicate: %v", err)
		}
		_, err = admin.Users.CreateLocalUser(ctx, connect.NewRequest(&usersv1.CreateLocalUserRequest{Username: "x", Password: "x"}))
		if _, fields := violations(t, err); connect.CodeOf(err) != connect.CodeInvalidArgument || len(fields) == 0 || fields[0] != "role" {
			t.Fatalf("AU-04: %v %v", err, fields)
		}
		list, err := admin.Users.ListLocalUsers(ctx, connect.NewRequest(&usersv1.ListLocalUsersRequest{}))
		if err != nil || len(list.Msg.GetUsers()) != 2 || list.Msg.GetLocalAdministratorCount() != 1 || len(list.Msg.GetWarnings()) != 0 {
			t.Fatalf("list: %v %v", list, err)
		}
		_, err = admin.Users.DeleteLocalUser(ctx, connect.NewRequest(&usersv1.DeleteLocalUserRequest{Username: "admin"}))
		if connect.CodeOf(err) != connect.CodeFailedPrecondition {
			t.Fatalf("AU-15: %v", err)
		}

		// Own password: each broken rule is a field violation the console
		// can show next to the field.
		_, err = admin.Users.UpdateLocalSecurityPolicy(ctx, connect.NewRequest(&usersv1.UpdateLocalSecurityPolicyRequest{
			PasswordLength:   &usersv1.PasswordLengthPolicy{Enabled: true},
			PasswordStrength: &usersv1.PasswordStrengthPolicy{Enabled: true},
		}))
		if err != nil {
			t.Fatal(err)
		}
		olga, err := sdk(t, s, true, "olga", "Olga-Initial-1")
		if err != nil {
			t.Fatal(err)
		}
		req, err := olga.Users.GetPasswordRequirements(ctx, connect.NewRequest(&usersv1.GetPasswordRequirementsRequest{}))
		if err != nil || req.Msg.GetMinLength() != 8 || !req.Msg.GetStrengthCheck() || !req.Msg.GetCanChangePassword() {
			t.Fatalf("requirements: %v %v", req, err)
		}
		_, err = olga.Users.ChangeOwnPassword(ctx, connect.NewRequest(&usersv1.ChangeOwnPasswordRequest{
			CurrentPassword: "Olga-Initial-1", NewPassword: "olga123"}))
		if reason, fields := violations(t, err); connect.CodeOf(err) != connect.CodeInvalidArgument ||
			reason != "INVALID_ARGUMENT" || len(fields) < 2 || fields[0] != "new_password" {
			t.Fatalf("policy violations: %v %s %v", err, reason, fields)
		}
		_, err = olga.Users.ChangeOwnPassword(ctx, connect.NewRequest(&usersv1.ChangeOwnPasswordRequest{
			CurrentPassword: "wrong", NewPassword: "lantern maple orbit"}))
		if reason, _ := violations(t, err); connect.CodeOf(err) != connect.CodePermissionDenied || reason != "WRONG_CURRENT_PASSWORD" {
			t.Fatalf("AU-17 wrong current password: %v %s", err, reason)
		}
		if _, err := olga.Users.ChangeOwnPassword(ctx, connect.NewRequest(&usersv1.ChangeOwnPasswordRequest{
			CurrentPassword: "Olga-Initial-1", NewPassword: "lantern maple orbit"})); err != nil {
			t.Fatal(err)
		}
		if _, err := olga.Auth.ReportActivity(ctx, connect.NewRequest(&authv1.ReportActivityRequest{})); err != nil {
			t.Fatal(err)
		}
		own, err := olga.Auth.ListOwnSessions(ctx, connect.NewRequest(&authv1.ListOwnSessionsRequest{}))
		if err != nil || len(own.Msg.GetSessions()) != 1 || !own.Msg.GetSessions()[0].GetCurrent() {
			t.Fatalf("own sessions: %v %v", own, err)
		}
		// An administrator revokes the operator's session (IM-29).
		all, err := admin.Auth.ListSessions(ctx, connect.NewRequest(&authv1.ListSessionsRequest{Username: "olga"}))
		if err != nil || len(all.Msg.GetSessions()) != 1 {
			t.Fatalf("sessions: %v %v", all, err)
		}
		if _, err := admin.Auth.RevokeSession(ctx, connect.NewRequest(&authv1.RevokeSessionRequest{Id: all.Msg.GetSessions()[0].GetId()})); err != nil {
			t.Fatal(err)
		}
		if _, err := olga.Auth.WhoAmI(ctx, connect.NewRequest(&authv1.WhoAmIRequest{})); connect.CodeOf(err) != connect.CodeUnauthenticated {
			t.Fatalf("revoked session: %v", err)
		}

		// Sign-in messages: the pre-sign-in one is public (AU-59).
		_, err = admin.Auth.UpdateSignInSettings(ctx, connect.NewRequest(&authv1.UpdateSignInSettingsRequest{
			Messages: &authv1.SignInMessages{PreSignInMessage: "Authorised users only", PostSignInMessage: "Hello", ShowAccountActivity: true}}))
		if err != nil {
			t.Fatal(err)
		}
		status, body, _ := s.get(t, "/api/v1/auth/pre-sign-in-message", nil)
		if status != 200 || !strings.Contains(body, "Authorised users only") {
			t.Fatalf("public pre-sign-in message: %d %s", status, body)
		}
		res, err := admin.Auth.SignIn(ctx, connect.NewRequest(&authv1.SignInRequest{Username: "olga", Password: "lantern maple orbit"}))
		if err != nil || res.Msg.GetPostSignInMessage() != "Hello" || res.Msg.GetAccountActivity().GetPreviousSignInTime() == nil {
			t.Fatalf("post-sign-in: %v %v", res, err)
		}

		// The dictionary upload may exceed the general 8 MiB body limit, on
		// REST as on Connect.
		big := strings.Repeat("abcdefghi\n", 900*1024) // 9 MiB, one distinct word
		payload := `{"content":"` + base64.StdEncoding.EncodeToString([]byte(big)) + `"}`
		status, body, _ = s.post(t, "/api/v1/security-policy/passphrase-dictionary", "application/json", payload, bearer(admin.Token()))
		if status != 200 || !strings.Contains(body, `"wordCount":1`) {
			t.Fatalf("REST 9 MiB upload: %d %.300s", status, body)
		}
		_, err = admin.Users.UploadPassphraseDictionary(ctx, connect.NewRequest(&usersv1.UploadPassphraseDictionaryRequest{
			Content: []byte(strings.Repeat("a", 10<<20+1))}))
		if connect.CodeOf(err) != connect.CodeInvalidArgument {
			t.Fatalf("10 MiB + 1: %v", err)
		}

		// Secrets never reach the audit trail.
		events, err := s.app.db.Ent.AuditEvent.Query().Where(auditevent.Action("/switchboard.users.v1.UserService/CreateLocalUser")).All(ctx)
		if err != nil || len(events) != 2 || events[0].Target != "olga" || strings.Contains(events[0].Details, "Olga-Initial-1") {
			t.Fatalf("audit: %+v %v", events, err)
		}
		for _, e := range []string{"lantern maple orbit", "Olga-Initial-1", created.Msg.GetSecret()} {
			if n, _ := s.app.db.Ent.AuditEvent.Query().Where(auditevent.DetailsContains(e)).Count(ctx); n != 0 {
				t.Fatalf("a secret reached the audit trail: %s", e)
			}
			if strings.Contains(s.logs.String(), e) {
				t.Fatalf("a secret reached the log: %s", e)
			}
		}
	})
}

// TestDirectorySignInThroughTheAPI configures the directory and a group
// through the API and signs an LDAP administrator in (AU-01, AU-10, AU-33).
func TestDirectorySignInThroughTheAPI(t *testing.T) {
	srv := ldaptest.Start(t)
	s := start(t, "sqlite")
	ctx := context.Background()
	admin, err := sdk(t, s, false, "admin", adminPassword)
	if err != nil {
		t.Fatal(err)
	}
	dir := &usersv1.AuthDirectory{Enabled: true, Address: srv.Host, Port: uint32(srv.TLSPort),
		Security: usersv1.ConnectionSecurity_CONNECTION_SECURITY_LDAPS, BindDn: ldaptest.AdminDN, BaseDn: ldaptest.BaseDN,
		UsernameAttribute: "uid", CaCertificatesPem: srv.CAPEM, Timeout: durationpb.New(2 * time.Second)}
	_, err = admin.Users.UpdateAuthDirectory(ctx, connect.NewRequest(&usersv1.UpdateAuthDirectoryRequest{Directory: dir}))
	if _, fields := violations(t, err); connect.CodeOf(err) != connect.CodeInvalidArgument || fields[0] != "bind_password" {
		t.Fatalf("AU-31: %v", err)
	}
	up, err := admin.Users.UpdateAuthDirectory(ctx, connect.NewRequest(&usersv1.UpdateAuthDirectoryRequest{
		Directory: dir, BindPassword: ldaptest.AdminPassword}))
	if err != nil || !up.Msg.GetDirectory().GetBindPasswordSet() || len(up.Msg.GetWarnings()) != 0 {
		t.Fatalf("update: %v %v", up, err)
	}
	test, err := admin.Users.TestAuthDirectoryConnection(ctx, connect.NewRequest(&usersv1.TestAuthDirectoryConnectionRequest{}))
	if err != nil || test.Msg.GetResult() != usersv1.DirectoryTestResult_DIRECTORY_TEST_RESULT_OK {
		t.Fatalf("test: %v %v", test, err)
	}
	check, err := admin.Users.CheckLdapGroup(ctx, connect.NewRequest(&usersv1.CheckLdapGroupRequest{Dn: ldaptest.AdminsGroup}))
	if err != nil || !check.Msg.GetFound() {
		t.Fatalf("check: %v %v", check, err)
	}
	// Reads are Connect GETs too; REST lists the members.
	status, body, _ := s.get(t, "/api/v1/auth-directory/group-members?dn="+strings.ReplaceAll(ldaptest.OperatorsGroup, "=", "%3D"), bearer(admin.Token()))
	if status != 200 || !strings.Contains(body, "Bøb Ünïcødé") {
		t.Fatalf("members over REST: %d %s", status, body)
	}
	// AU-37: the sign-in link is the console at the CDR receiver address.
	if _, err := admin.Servers.UpdateCdrReceiverSettings(ctx, connect.NewRequest(&serversv1.UpdateCdrReceiverSettingsRequest{
		Address: "cmm.example.com"})); err != nil {
		t.Fatal(err)
	}
	created, err := admin.Users.CreateLdapGroup(ctx, connect.NewRequest(&usersv1.CreateLdapGroupRequest{
		Dn: ldaptest.AdminsGroup, Role: authv1.Role_ROLE_ADMINISTRATOR}))
	if err != nil {
		t.Fatal(err)
	}
	if got := created.Msg.GetSignInLink(); got != "https://cmm.example.com/" {
		t.Fatalf("sign-in link %q, want https://cmm.example.com/", got)
	}
	alice, err := sdk(t, s, false, ldaptest.Alice.UID, ldaptest.Alice.Password)
	if err != nil {
		t.Fatal(err)
	}
	me, err := alice.Auth.WhoAmI(ctx, connect.NewRequest(&authv1.WhoAmIRequest{}))
	if err != nil || me.Msg.GetIdentity().GetSource() != authv1.IdentitySource_IDENTITY_SOURCE_LDAP ||
		me.Msg.GetIdentity().GetRole() != authv1.Role_ROLE_ADMINISTRATOR || me.Msg.GetIdentity().GetDisplayName() != "Alice Ådahl" {
		t.Fatalf("AU-10: %v %v", me, err)
	}
	up, err = alice.Users.UpdateAuthDirectory(ctx, connect.NewRequest(&usersv1.UpdateAuthDirectoryRequest{
		Directory: dir, BindPassword: ldaptest.AdminPassword}))
	if err != nil || len(up.Msg.GetWarnings()) != 1 ||
		up.Msg.GetWarnings()[0] != usersv1.Warning_WARNING_EDIT_AS_LOCAL_ADMIN_RECOMMENDED {
		t.Fatalf("AU-33: %v %v", up, err)
	}
	// The LDAP administrator may delete the last local administrator
	// (AU-16); the list then warns (IM-13).
	if _, err := alice.Users.DeleteLocalUser(ctx, connect.NewRequest(&usersv1.DeleteLocalUserRequest{Username: "admin"})); err != nil {
		t.Fatal(err)
	}
	list, err := alice.Users.ListLocalUsers(ctx, connect.NewRequest(&usersv1.ListLocalUsersRequest{}))
	if err != nil || len(list.Msg.GetWarnings()) != 1 || list.Msg.GetWarnings()[0] != usersv1.Warning_WARNING_NO_LOCAL_ADMIN {
		t.Fatalf("IM-13: %v %v", list, err)
	}
	if !strings.Contains(s.logs.String(), "NO_LOCAL_ADMIN") {
		t.Fatal("the NO_LOCAL_ADMIN condition must be logged")
	}
	// ... and the overview shows it as a notification until a local
	// administrator exists again.
	noLocalAdmin := func() bool {
		t.Helper()
		l, err := alice.Overview.ListNotifications(ctx, connect.NewRequest(&overviewv1.ListNotificationsRequest{SubjectKind: "system"}))
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range l.Msg.GetNotifications() {
			if n.GetCode() == "NO_LOCAL_ADMIN" {
				return true
			}
		}
		return false
	}
	if !noLocalAdmin() {
		t.Fatal("IM-13: no NO_LOCAL_ADMIN notification")
	}
	if _, err := alice.Users.CreateLocalUser(ctx, connect.NewRequest(&usersv1.CreateLocalUserRequest{Username: "admin2", FirstName: "A", LastName: "B",
		Role: authv1.Role_ROLE_ADMINISTRATOR, Password: "another-Admin-Secret-9"})); err != nil {
		t.Fatal(err)
	}
	if noLocalAdmin() {
		t.Fatal("IM-13: NO_LOCAL_ADMIN stayed after a local administrator was created")
	}
	if n, _ := s.app.db.Ent.AuditEvent.Query().Where(auditevent.DetailsContains(ldaptest.AdminPassword)).Count(ctx); n != 0 {
		t.Fatal("the bind password reached the audit trail")
	}
}

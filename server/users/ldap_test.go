package users_test

import (
	"context"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/server/auth"
	"github.com/switchboardhq/switchboard/server/platform/database/databasetest"
	"github.com/switchboardhq/switchboard/server/platform/errs"
	"github.com/switchboardhq/switchboard/server/platform/principal"
	"github.com/switchboardhq/switchboard/server/users"
	"github.com/switchboardhq/switchboard/server/users/ldaptest"
)

func directory(srv *ldaptest.Server, security users.Security) users.DirectorySettings {
	d := users.DirectorySettings{
		Enabled: true, Address: srv.Host, Security: security, BindDN: ldaptest.AdminDN,
		BaseDN: ldaptest.PeopleDN, UsernameAttribute: "uid", GroupBaseDN: ldaptest.GroupsDN, Timeout: 2 * time.Second,
	}
	switch security {
	case users.SecurityLDAPS:
		d.Port, d.CACertificatesPEM = srv.TLSPort, srv.CAPEM
	default:
		d.Port = srv.Port
	}
	if security == users.SecurityStartTLS {
		d.CACertificatesPEM = srv.CAPEM
	}
	return d
}

func (f *fixture) configure(t testing.TB, d users.DirectorySettings, password string) {
	t.Helper()
	if _, _, err := f.users.Directory.Update(context.Background(), admin, d, password); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) mapGroup(t testing.TB, dn string, role principal.Role) users.LdapGroup {
	t.Helper()
	g, _, err := f.users.CreateGroup(context.Background(), admin, dn, role)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func (f *fixture) signIn(username, password string) (*auth.SignInResult, error) {
	return f.auth.SignIn(context.Background(), username, password, auth.Meta{RemoteAddr: "192.0.2.7"})
}

func TestDirectorySignIn(t *testing.T) {
	srv := ldaptest.Start(t)
	f := newFixture(t, databasetest.Open(t, "sqlite"))
	f.configure(t, directory(srv, users.SecurityPlain), ldaptest.AdminPassword)
	// Rate limiting is covered elsewhere; here it would get in the way.
	_, err := f.auth.UpdateSignInSettings(context.Background(), auth.SignInSettingsUpdate{RateLimit: &auth.RateLimit{Enabled: false}})
	mustOK(t, err)
	ops := f.mapGroup(t, ldaptest.OperatorsGroup, principal.RoleVideoOperator)
	f.mapGroup(t, ldaptest.AdminsGroup, principal.RoleAdministrator)
	f.mapGroup(t, ldaptest.LegacyGroup, principal.RoleAdministrator)

	cases := []struct {
		user    ldaptest.User
		role    principal.Role
		comment string
	}{
		{ldaptest.Alice, principal.RoleAdministrator, "in operators and admins: the administrator wins (AU-09)"},
		{ldaptest.Bob, principal.RoleVideoOperator, "in operators through the nested ops-team"},
		{ldaptest.Dave, principal.RoleAdministrator, "uniqueMember of a groupOfUniqueNames"},
		{ldaptest.Erin, principal.RoleVideoOperator, "entry written with mixed-case attribute names"},
	}
	for _, tc := range cases {
		res, err := f.signIn(tc.user.UID, tc.user.Password)
		if err != nil {
			t.Fatalf("%s (%s): %v", tc.user.UID, tc.comment, err)
		}
		p := res.Principal
		if p.Role != tc.role || p.Source != principal.SourceLDAP || p.Username != tc.user.UID || p.DisplayName != tc.user.DisplayName {
			t.Errorf("%s (%s): got %+v", tc.user.UID, tc.comment, p)
		}
		// The session works like any other.
		if _, err := f.auth.Authenticate(context.Background(), res.Token); err != nil {
			t.Fatal(err)
		}
	}

	for _, tc := range []struct{ name, user, password string }{
		{"wrong password", ldaptest.Alice.UID, "wrong"},
		{"no mapped group (AU-39)", ldaptest.Carol.UID, ldaptest.Carol.Password},
		{"unknown user", "nobody", "whatever"},
		{"filter injection", "*", ldaptest.Alice.Password},
		{"filter injection 2", "alice)(uid=*", ldaptest.Alice.Password},
	} {
		_, err := f.signIn(tc.user, tc.password)
		e := wantReason(t, err, errs.Unauthenticated, errs.ReasonInvalidCredentials)
		if e.Message != "the username or password is incorrect" {
			t.Errorf("%s: the message must not tell why: %q", tc.name, e.Message)
		}
	}

	// Membership is evaluated at each sign-in (AU-40).
	srv.Modify(t, "dn: "+ldaptest.OpsTeamGroup+"\nchangetype: modify\ndelete: member\nmember: "+ldaptest.Bob.DN()+
		"\n-\nadd: member\nmember: "+ldaptest.Carol.DN()+"\n")
	if _, err := f.signIn(ldaptest.Bob.UID, ldaptest.Bob.Password); errs.ReasonOf(err) != errs.ReasonInvalidCredentials {
		t.Fatalf("bob left the group: want INVALID_CREDENTIALS, got %v", err)
	}
	if res, err := f.signIn(ldaptest.Carol.UID, ldaptest.Carol.Password); err != nil || res.Principal.Role != principal.RoleVideoOperator {
		t.Fatalf("carol joined the nested group: %v", err)
	}

	// A group's role change applies at the next sign-in; deleting it
	// refuses its members (AU-38).
	admins := principal.RoleAdministrator
	_, _, err = f.users.UpdateGroup(context.Background(), admin, ops.ID, users.GroupUpdate{Role: &admins})
	mustOK(t, err)
	if res, err := f.signIn(ldaptest.Erin.UID, ldaptest.Erin.Password); err != nil || res.Principal.Role != principal.RoleAdministrator {
		t.Fatalf("after the role change: %v %+v", err, res)
	}
	_, err = f.users.DeleteGroup(context.Background(), admin, ops.ID)
	mustOK(t, err)
	if _, err := f.signIn(ldaptest.Erin.UID, ldaptest.Erin.Password); errs.ReasonOf(err) != errs.ReasonInvalidCredentials {
		t.Fatalf("after deleting the group: %v", err)
	}

	// A local user of the same name is authenticated locally only (AU-41).
	f.createUser(t, ldaptest.Alice.UID, "local-password", principal.RoleVideoOperator)
	res, err := f.signIn(ldaptest.Alice.UID, "local-password")
	if err != nil || res.Principal.Source != principal.SourceLocal {
		t.Fatalf("local alice: %v", err)
	}
	if _, err := f.signIn(ldaptest.Alice.UID, ldaptest.Alice.Password); errs.ReasonOf(err) != errs.ReasonInvalidCredentials {
		t.Fatalf("no LDAP fallback for a local user: %v", err)
	}
}

func TestDirectoryTLS(t *testing.T) {
	srv := ldaptest.Start(t)
	f := newFixture(t, databasetest.Open(t, "sqlite"))
	f.mapGroup(t, ldaptest.AdminsGroup, principal.RoleAdministrator)
	ctx := context.Background()
	for _, security := range []users.Security{users.SecurityLDAPS, users.SecurityStartTLS} {
		d := directory(srv, security)
		result, msg, err := f.users.Directory.Test(ctx, &d, ldaptest.AdminPassword)
		if err != nil || result != users.TestOK {
			t.Fatalf("%s with the right CA: %s %s %v", security, result, msg, err)
		}
		f.configure(t, d, ldaptest.AdminPassword)
		if _, err := f.signIn(ldaptest.Alice.UID, ldaptest.Alice.Password); err != nil {
			t.Fatalf("%s sign-in: %v", security, err)
		}

		d.CACertificatesPEM = srv.OtherCAPEM
		result, msg, err = f.users.Directory.Test(ctx, &d, ldaptest.AdminPassword)
		if err != nil || result != users.TestTLSFailure {
			t.Fatalf("%s with a wrong CA: want TLS_FAILURE, got %s %s %v", security, result, msg, err)
		}
		f.configure(t, d, ldaptest.AdminPassword)
		_, err = f.signIn(ldaptest.Alice.UID, ldaptest.Alice.Password)
		wantReason(t, err, errs.Unavailable, errs.ReasonUnavailable)

		// CRL checking (SV-12): the test certificate names no CRL
		// distribution point, so the connection is refused.
		d.CACertificatesPEM, d.CheckCRL = srv.CAPEM, true
		result, msg, err = f.users.Directory.Test(ctx, &d, ldaptest.AdminPassword)
		if err != nil || result != users.TestTLSFailure || !strings.Contains(msg, "no CRL distribution point") {
			t.Fatalf("%s with CRL checking: want TLS_FAILURE, got %s %s %v", security, result, msg, err)
		}
	}
}

func TestDirectoryConnectionTest(t *testing.T) {
	srv := ldaptest.Start(t)
	f := newFixture(t, databasetest.Open(t, "sqlite"))
	ctx := context.Background()
	base := directory(srv, users.SecurityPlain)
	base.Timeout = time.Second
	cases := []struct {
		name     string
		edit     func(*users.DirectorySettings)
		password string
		want     users.TestResult
	}{
		{"ok", func(*users.DirectorySettings) {}, ldaptest.AdminPassword, users.TestOK},
		{"unreachable", func(d *users.DirectorySettings) { d.Port = ldaptest.ClosedPort(t) }, ldaptest.AdminPassword, users.TestUnreachable},
		{"bind refused", func(*users.DirectorySettings) {}, "wrong", users.TestBindRefused},
		{"base DN missing", func(d *users.DirectorySettings) { d.BaseDN = "ou=missing," + ldaptest.BaseDN }, ldaptest.AdminPassword, users.TestBaseDNMissing},
		{"hanging", func(d *users.DirectorySettings) { d.Port = ldaptest.Hang(t) }, ldaptest.AdminPassword, users.TestTimeout},
		{"LDAPS to a plain port", func(d *users.DirectorySettings) { d.Security = users.SecurityLDAPS; d.CACertificatesPEM = srv.CAPEM }, ldaptest.AdminPassword, users.TestTLSFailure},
	}
	for _, tc := range cases {
		d := base
		tc.edit(&d)
		start := time.Now()
		result, msg, err := f.users.Directory.Test(ctx, &d, tc.password)
		if err != nil || result != tc.want {
			t.Errorf("%s: want %s, got %s (%s) %v", tc.name, tc.want, result, msg, err)
		}
		if el := time.Since(start); el > 3*time.Second {
			t.Errorf("%s took %v, beyond the 1 s timeout", tc.name, el)
		}
	}
	// Without settings in the request, the stored ones are tested.
	f.configure(t, base, ldaptest.AdminPassword)
	if result, _, err := f.users.Directory.Test(ctx, nil, ""); err != nil || result != users.TestOK {
		t.Fatalf("stored settings: %s %v", result, err)
	}
	// The bind password is write-only and required again on save (AU-31).
	got, ok, err := f.users.Directory.Settings(ctx)
	if err != nil || !ok || !got.BindPasswordSet || got.UsernameAttribute != "uid" {
		t.Fatalf("settings: %+v %v", got, err)
	}
	_, _, err = f.users.Directory.Update(ctx, admin, base, "")
	if e := wantReason(t, err, errs.InvalidArgument, errs.ReasonInvalidArgument); e.Violations[0].Field != "bind_password" {
		t.Fatalf("violation on %s", e.Violations[0].Field)
	}
	// An LDAP administrator is told to let a local one do it (AU-33).
	_, warnings, err := f.users.Directory.Update(ctx, &principal.Principal{Username: "x", Source: principal.SourceLDAP, Role: principal.RoleAdministrator}, base, ldaptest.AdminPassword)
	if err != nil || len(warnings) != 1 || warnings[0] != users.WarningEditAsLocalAdmin {
		t.Fatalf("warnings %v %v", warnings, err)
	}
}

// TestDirectoryOutage checks IM-35: a directory that is down or hangs never
// holds up local sign-in, and directory sign-in fails within the timeout.
func TestDirectoryOutage(t *testing.T) {
	f := newFixture(t, databasetest.Open(t, "sqlite"))
	f.createUser(t, "localadmin", "local-pw", principal.RoleAdministrator)
	f.mapGroup(t, ldaptest.AdminsGroup, principal.RoleAdministrator)
	_, err := f.auth.UpdateSignInSettings(context.Background(), auth.SignInSettingsUpdate{RateLimit: &auth.RateLimit{Enabled: false}})
	mustOK(t, err)
	const timeout = time.Second
	settings := users.DirectorySettings{Enabled: true, Address: "127.0.0.1", Security: users.SecurityPlain,
		BindDN: ldaptest.AdminDN, BaseDN: ldaptest.PeopleDN, UsernameAttribute: "uid", Timeout: timeout}

	// Down: refused connections.
	settings.Port = ldaptest.ClosedPort(t)
	f.configure(t, settings, ldaptest.AdminPassword)
	_, err = f.signIn("alice", "x")
	wantReason(t, err, errs.Unavailable, errs.ReasonUnavailable)
	if _, err := f.signIn("localadmin", "local-pw"); err != nil {
		t.Fatalf("local sign-in with the directory down: %v", err)
	}

	// Hanging: accepts and never answers. Many directory sign-ins at once,
	// more than the pool holds, while a local administrator signs in.
	settings.Port = ldaptest.Hang(t)
	f.configure(t, settings, ldaptest.AdminPassword)
	var wg sync.WaitGroup
	durations := make([]time.Duration, 12)
	for i := range durations {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			_, err := f.signIn("alice", "x")
			durations[i] = time.Since(start)
			if errs.KindOf(err) != errs.Unavailable {
				t.Errorf("hanging directory: want Unavailable, got %v", err)
			}
		}()
	}
	time.Sleep(100 * time.Millisecond) // let the directory sign-ins get stuck first
	start := time.Now()
	if _, err := f.signIn("localadmin", "local-pw"); err != nil {
		t.Fatalf("local sign-in while the directory hangs: %v", err)
	}
	if el := time.Since(start); el > 500*time.Millisecond {
		t.Fatalf("local sign-in took %v while the directory hangs (want < 1 s)", el)
	}
	wg.Wait()
	sort.Slice(durations, func(i, j int) bool { return durations[i] < durations[j] })
	if worst := durations[len(durations)-1]; worst > timeout+time.Second {
		t.Fatalf("a directory sign-in took %v with a %v timeout", worst, timeout)
	}
}

func TestGroupLookups(t *testing.T) {
	srv := ldaptest.Start(t)
	f := newFixture(t, databasetest.Open(t, "sqlite"))
	ctx := context.Background()
	_, err := f.users.Directory.CheckGroup(ctx, ldaptest.OperatorsGroup)
	wantReason(t, err, errs.FailedPrecondition, errs.ReasonFailedPrecondition) // no directory yet
	f.configure(t, directory(srv, users.SecurityPlain), ldaptest.AdminPassword)

	c, err := f.users.Directory.CheckGroup(ctx, ldaptest.OperatorsGroup)
	if err != nil || !c.Found || c.DirectMemberCount != 3 {
		t.Fatalf("operators: %+v %v", c, err)
	}
	for _, dn := range []string{"cn=missing," + ldaptest.GroupsDN, ldaptest.Alice.DN(), "cn=x,dc=elsewhere"} {
		if c, err := f.users.Directory.CheckGroup(ctx, dn); err != nil || c.Found {
			t.Errorf("%s: want found=false, got %+v %v", dn, c, err)
		}
	}
	_, err = f.users.Directory.CheckGroup(ctx, "not a dn")
	wantReason(t, err, errs.InvalidArgument, errs.ReasonInvalidArgument)

	var got []string
	token := ""
	for range 5 {
		page, err := f.users.Directory.ListGroupMembers(ctx, ldaptest.OperatorsGroup, 2, token)
		mustOK(t, err)
		if page.Total != 3 {
			t.Fatalf("total %d", page.Total)
		}
		for _, m := range page.Members {
			got = append(got, m.Username+"/"+m.DisplayName)
		}
		if token = page.NextPageToken; token == "" {
			break
		}
	}
	want := "alice/Alice Ådahl,bob/Bøb Ünïcødé,erin/Érin Müller"
	if strings.Join(got, ",") != want {
		t.Fatalf("members %v, want %s (nested and mixed-case included)", got, want)
	}
	page, err := f.users.Directory.ListGroupMembers(ctx, ldaptest.LegacyGroup, 0, "")
	if err != nil || len(page.Members) != 1 || page.Members[0].Username != "dave" {
		t.Fatalf("uniqueMember group: %+v %v", page, err)
	}
}

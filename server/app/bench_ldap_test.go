package app

import (
	"context"
	"sort"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"

	switchboard "github.com/switchboardhq/switchboard/clients/go"
	authv1 "github.com/switchboardhq/switchboard/gen/switchboard/auth/v1"
	"github.com/switchboardhq/switchboard/server/auth"
	"github.com/switchboardhq/switchboard/server/platform/principal"
	"github.com/switchboardhq/switchboard/server/users"
	"github.com/switchboardhq/switchboard/server/users/ldaptest"
)

// reportLatency reports p50 and p99 of durations in milliseconds.
func reportLatency(b *testing.B, durations []time.Duration) {
	sort.Slice(durations, func(i, j int) bool { return durations[i] < durations[j] })
	pct := func(p float64) float64 {
		return float64(durations[int(p*float64(len(durations)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}

func benchSignIn(b *testing.B, c *switchboard.Client, username, password string) {
	req := &authv1.SignInRequest{Username: username, Password: password}
	durations := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		if _, err := c.Auth.SignIn(context.Background(), connect.NewRequest(req)); err != nil {
			b.Fatal(err)
		}
		durations = append(durations, time.Since(start))
	}
	b.StopTimer()
	reportLatency(b, durations)
}

// BenchmarkSignInLatencyLDAP signs an LDAP administrator in over Connect
// against a real slapd (search, user bind, nested group walk) and reports
// p50 and p99.
//
//	go test -run '^$' -bench SignInLatencyLDAP -benchtime 100x ./server/app/
func BenchmarkSignInLatencyLDAP(b *testing.B) {
	srv := ldaptest.Start(b)
	s := startBench(b)
	ctx := context.Background()
	admin := &principal.Principal{Username: "bench", Source: principal.SourceLocal, Role: principal.RoleAdministrator}
	_, _, err := s.app.Users().Directory.Update(ctx, admin, users.DirectorySettings{Enabled: true, Address: srv.Host,
		Port: srv.Port, Security: users.SecurityPlain, BindDN: ldaptest.AdminDN, BaseDN: ldaptest.BaseDN,
		UsernameAttribute: "uid", Timeout: 5 * time.Second}, ldaptest.AdminPassword)
	if err != nil {
		b.Fatal(err)
	}
	for dn, role := range map[string]principal.Role{ldaptest.AdminsGroup: principal.RoleAdministrator, ldaptest.OperatorsGroup: principal.RoleVideoOperator} {
		if _, _, err := s.app.Users().CreateGroup(ctx, admin, dn, role); err != nil {
			b.Fatal(err)
		}
	}
	c, err := switchboard.New(ctx, switchboard.Options{BaseURL: s.url})
	if err != nil {
		b.Fatal(err)
	}
	benchSignIn(b, c, ldaptest.Bob.UID, ldaptest.Bob.Password) // bob: nested membership
}

// BenchmarkLocalSignInWhileDirectoryHangs measures local sign-in (production
// argon2id) while eight directory sign-ins at a time are stuck on a
// directory that accepts connections and never answers (IM-35).
//
//	go test -run '^$' -bench LocalSignInWhileDirectoryHangs -benchtime 100x ./server/app/
func BenchmarkLocalSignInWhileDirectoryHangs(b *testing.B) {
	prev := cheap
	cheap = auth.DefaultHashParams
	defer func() { cheap = prev }()
	s := startBench(b)
	ctx := context.Background()
	admin := &principal.Principal{Username: "bench", Source: principal.SourceLocal, Role: principal.RoleAdministrator}
	_, _, err := s.app.Users().Directory.Update(ctx, admin, users.DirectorySettings{Enabled: true, Address: "127.0.0.1",
		Port: ldaptest.Hang(b), Security: users.SecurityPlain, BindDN: ldaptest.AdminDN, BaseDN: ldaptest.BaseDN,
		UsernameAttribute: "uid", Timeout: 5 * time.Second}, ldaptest.AdminPassword)
	if err != nil {
		b.Fatal(err)
	}
	if _, _, err := s.app.Users().CreateGroup(ctx, admin, ldaptest.AdminsGroup, principal.RoleAdministrator); err != nil {
		b.Fatal(err)
	}
	if _, err := s.app.Auth().UpdateSignInSettings(ctx, auth.SignInSettingsUpdate{RateLimit: &auth.RateLimit{Enabled: false}}); err != nil {
		b.Fatal(err)
	}
	c, err := switchboard.New(ctx, switchboard.Options{BaseURL: s.url})
	if err != nil {
		b.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := &authv1.SignInRequest{Username: "ldap-user-" + string(rune('a'+i)), Password: "x"}
			for {
				select {
				case <-stop:
					return
				default:
				}
				_, _ = c.Auth.SignIn(context.Background(), connect.NewRequest(req))
			}
		}()
	}
	time.Sleep(200 * time.Millisecond) // let them get stuck
	benchSignIn(b, c, "admin", adminPassword)
	close(stop)
	wg.Wait()
}

// BenchmarkDirectorySignInWhileDirectoryHangs measures how long a directory
// user's sign-in takes when the directory accepts connections and never
// answers, with the default directory timeout: the caller gets Unavailable
// once the timeout has passed, never later (IM-35). Each sign-in takes the
// whole timeout, so run it with few iterations:
//
//	go test -run '^$' -bench DirectorySignInWhileDirectoryHangs -benchtime 10x ./server/app/
func BenchmarkDirectorySignInWhileDirectoryHangs(b *testing.B) {
	s := startBench(b)
	ctx := context.Background()
	admin := &principal.Principal{Username: "bench", Source: principal.SourceLocal, Role: principal.RoleAdministrator}
	_, _, err := s.app.Users().Directory.Update(ctx, admin, users.DirectorySettings{Enabled: true, Address: "127.0.0.1",
		Port: ldaptest.Hang(b), Security: users.SecurityPlain, BindDN: ldaptest.AdminDN, BaseDN: ldaptest.BaseDN,
		UsernameAttribute: "uid"}, ldaptest.AdminPassword) // Timeout unset: the default
	if err != nil {
		b.Fatal(err)
	}
	if _, _, err := s.app.Users().CreateGroup(ctx, admin, ldaptest.AdminsGroup, principal.RoleAdministrator); err != nil {
		b.Fatal(err)
	}
	if _, err := s.app.Auth().UpdateSignInSettings(ctx, auth.SignInSettingsUpdate{RateLimit: &auth.RateLimit{Enabled: false}}); err != nil {
		b.Fatal(err)
	}
	c, err := switchboard.New(ctx, switchboard.Options{BaseURL: s.url})
	if err != nil {
		b.Fatal(err)
	}
	req := &authv1.SignInRequest{Username: ldaptest.Bob.UID, Password: ldaptest.Bob.Password}
	durations := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		_, err := c.Auth.SignIn(ctx, connect.NewRequest(req))
		elapsed := time.Since(start)
		if connect.CodeOf(err) != connect.CodeUnavailable {
			b.Fatalf("sign-in against a hanging directory: want Unavailable, got %v", err)
		}
		if elapsed > users.DefaultDirectoryTimeout+time.Second {
			b.Fatalf("sign-in took %v with a %v directory timeout", elapsed, users.DefaultDirectoryTimeout)
		}
		durations = append(durations, elapsed)
	}
	b.StopTimer()
	reportLatency(b, durations)
}

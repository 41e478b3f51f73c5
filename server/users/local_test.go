package users_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/server/auth"
	"github.com/switchboardhq/switchboard/server/platform/database"
	"github.com/switchboardhq/switchboard/server/platform/database/databasetest"
	"github.com/switchboardhq/switchboard/server/platform/errs"
	"github.com/switchboardhq/switchboard/server/platform/principal"
	"github.com/switchboardhq/switchboard/server/users"
)

func TestLocalUsers(t *testing.T) {
	databasetest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		u, err := f.users.CreateLocalUser(ctx, users.NewLocalUser{Username: "alice", FirstName: " Alice ", LastName: "Ådahl",
			Role: principal.RoleAdministrator, Password: "Secret-P"})
		if err != nil || u.FirstName != "Alice" || u.Role != principal.RoleAdministrator {
			t.Fatalf("create: %+v %v", u, err)
		}
		_, err = f.users.CreateLocalUser(ctx, users.NewLocalUser{Username: "alice", Role: principal.RoleVideoOperator, Password: "x"})
		wantReason(t, err, errs.AlreadyExists, errs.ReasonAlreadyExists) // AU-13
		for _, bad := range []users.NewLocalUser{
			{Username: "", Role: principal.RoleVideoOperator, Password: "x"},
			{Username: "has space", Role: principal.RoleVideoOperator, Password: "x"},
			{Username: "bob", Role: "", Password: "x"},
			{Username: "bob", Role: "superuser", Password: "x"},
			{Username: "bob", Role: principal.RoleVideoOperator},
		} {
			_, err := f.users.CreateLocalUser(ctx, bad)
			wantReason(t, err, errs.InvalidArgument, errs.ReasonInvalidArgument)
		}

		// The password is stored only as a salted argon2id hash (AU-18, IM-12).
		row, _ := db.Ent.User.Query().First(ctx)
		if strings.Contains(row.PasswordHash, "Secret-P") || !strings.HasPrefix(row.PasswordHash, "$argon2id$") {
			t.Fatalf("stored hash %q", row.PasswordHash)
		}
		var dump bytes.Buffer
		rows, _ := db.SQL.QueryContext(ctx, "SELECT * FROM password_histories")
		for rows.Next() {
			var id, uid any
			var h, ct any
			_ = rows.Scan(&id, &h, &ct, &uid)
			fmt.Fprint(&dump, h)
		}
		rows.Close()
		if strings.Contains(dump.String(), "Secret-P") || dump.Len() == 0 {
			t.Fatal("the password history must hold hashes only")
		}

		// Update names, role and password (AU-14); the username is the key.
		first, role, pw := "Alicia", principal.RoleVideoOperator, "New-Secret"
		res, err := f.signIn("alice", "Secret-P")
		mustOK(t, err)
		u, err = f.users.UpdateLocalUser(ctx, "alice", users.LocalUserUpdate{FirstName: &first, Role: &role, Password: &pw})
		if err != nil || u.FirstName != "Alicia" || u.LastName != "Ådahl" || u.Role != role {
			t.Fatalf("update: %+v %v", u, err)
		}
		if _, err := f.auth.Authenticate(ctx, res.Token); err == nil {
			t.Fatal("a password set by an administrator ends the user's sessions")
		}
		if _, err := f.signIn("alice", "New-Secret"); err != nil {
			t.Fatal(err)
		}
		_, err = f.users.UpdateLocalUser(ctx, "nobody", users.LocalUserUpdate{FirstName: &first})
		wantReason(t, err, errs.NotFound, errs.ReasonNotFound)

		// Nobody deletes their own account (AU-15); an LDAP administrator
		// may delete the last local administrator (AU-16), which leaves the
		// NO_LOCAL_ADMIN condition (IM-13).
		f.createUser(t, "boss", "pw", principal.RoleAdministrator)
		boss, err := f.signIn("boss", "pw")
		mustOK(t, err)
		_, err = f.users.DeleteLocalUser(ctx, &boss.Principal, "boss")
		wantReason(t, err, errs.FailedPrecondition, errs.ReasonFailedPrecondition)
		if n, err := f.users.DeleteLocalUser(ctx, &boss.Principal, "alice"); err != nil || n != 1 {
			t.Fatalf("delete alice: %d %v", n, err)
		}
		ldapAdmin := &principal.Principal{Username: "boss", Source: principal.SourceLDAP, Role: principal.RoleAdministrator, UserID: boss.Principal.UserID}
		if n, err := f.users.DeleteLocalUser(ctx, ldapAdmin, "boss"); err != nil || n != 0 {
			t.Fatalf("an LDAP admin deletes the last local admin: %d %v", n, err)
		}
		page, err := f.users.ListLocalUsers(ctx, "", 0, "")
		if err != nil || len(page.Users) != 0 || page.LocalAdministratorCount != 0 {
			t.Fatalf("after deleting everyone: %+v %v", page, err)
		}
	})
}

func TestListLocalUsersPaging(t *testing.T) {
	databasetest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		// Written straight to the store: 120 hashes would only slow the test.
		hash, _ := auth.HashPassword("pw", cheap)
		for i := range 120 {
			role := "video_operator"
			if i%40 == 0 {
				role = "administrator"
			}
			mustOK(t, db.Ent.User.Create().SetUsername(fmt.Sprintf("user%03d", i)).SetRole(userRole(role)).
				SetLastName(map[bool]string{true: "Sales", false: "Ops"}[i%10 == 0]).SetPasswordHash(hash).Exec(ctx))
		}
		seen := map[string]bool{}
		token, pages := "", 0
		for {
			page, err := f.users.ListLocalUsers(ctx, "", 50, token)
			mustOK(t, err)
			pages++
			if page.LocalAdministratorCount != 3 {
				t.Fatalf("admin count %d", page.LocalAdministratorCount)
			}
			prev := ""
			for _, u := range page.Users {
				if seen[u.Username] || u.Username <= prev {
					t.Fatalf("duplicate or out of order: %s", u.Username)
				}
				seen[u.Username], prev = true, u.Username
			}
			if token = page.NextPageToken; token == "" {
				break
			}
		}
		if pages != 3 || len(seen) != 120 {
			t.Fatalf("IM-01: %d pages, %d users", pages, len(seen))
		}
		page, err := f.users.ListLocalUsers(ctx, "sAlEs", 1000, "")
		if err != nil || len(page.Users) != 12 {
			t.Fatalf("search: %d %v", len(page.Users), err)
		}
		_, err = f.users.ListLocalUsers(ctx, "", 10, "bogus")
		wantReason(t, err, errs.InvalidArgument, errs.ReasonInvalidArgument)
	})
}

func TestChangeOwnPassword(t *testing.T) {
	databasetest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		// Minimum length 12 applies to the user's own change only (AU-20).
		_, err := f.users.UpdatePolicy(ctx, users.PolicyUpdate{Length: &users.LengthPolicy{Enabled: true, MinLength: 12}})
		mustOK(t, err)
		f.createUser(t, "ada", "short1", principal.RoleVideoOperator)
		res, err := f.signIn("ada", "short1")
		mustOK(t, err)
		other, err := f.signIn("ada", "short1")
		mustOK(t, err)
		me := &res.Principal

		err = f.users.ChangeOwnPassword(ctx, me, "wrong", "a long enough pass")
		if e := wantReason(t, err, errs.PermissionDenied, errs.ReasonWrongCurrentPassword); e.Violations[0].Field != "current_password" {
			t.Fatal(e)
		}
		err = f.users.ChangeOwnPassword(ctx, me, "short1", "short2")
		if e := wantReason(t, err, errs.InvalidArgument, errs.ReasonInvalidArgument); e.Violations[0].Field != "new_password" ||
			!strings.Contains(e.Violations[0].Description, "12") {
			t.Fatal(e)
		}
		mustOK(t, f.users.ChangeOwnPassword(ctx, me, "short1", "P1-long-enough"))
		if _, err := f.auth.Authenticate(ctx, res.Token); err != nil {
			t.Fatalf("the caller's session survives: %v", err)
		}
		if _, err := f.auth.Authenticate(ctx, other.Token); err == nil {
			t.Fatal("the caller's other sessions end")
		}

		// Reuse: 3 remembered, the current one included (AU-22).
		_, err = f.users.UpdatePolicy(ctx, users.PolicyUpdate{Reuse: &users.ReusePolicy{Enabled: true}})
		wantReason(t, err, errs.InvalidArgument, errs.ReasonInvalidArgument) // AU-21: a value is needed
		_, err = f.users.UpdatePolicy(ctx, users.PolicyUpdate{Reuse: &users.ReusePolicy{Enabled: true, Remembered: 3}})
		mustOK(t, err)
		for _, step := range [][2]string{{"P1-long-enough", "P2-long-enough"}, {"P2-long-enough", "P3-long-enough"}, {"P3-long-enough", "P4-long-enough"}} {
			mustOK(t, f.users.ChangeOwnPassword(ctx, me, step[0], step[1]))
		}
		err = f.users.ChangeOwnPassword(ctx, me, "P4-long-enough", "P2-long-enough")
		e := wantReason(t, err, errs.InvalidArgument, errs.ReasonInvalidArgument)
		if !strings.Contains(e.Violations[0].Description, "used recently") {
			t.Fatal(e)
		}
		mustOK(t, f.users.ChangeOwnPassword(ctx, me, "P4-long-enough", "P1-long-enough"))

		// Strength: every broken rule is its own violation on new_password.
		_, err = f.users.UpdatePolicy(ctx, users.PolicyUpdate{Strength: &users.StrengthPolicy{Enabled: true},
			Length: &users.LengthPolicy{Enabled: false}})
		mustOK(t, err)
		for pw, want := range map[string]string{
			"password123":       "commonly used",
			"aaaaaaaaaaaa":      "repeats",
			"abcabcabcabc":      "repeats",
			"123456789":         "sequence",
			"qwertyuiop":        "sequence",
			"my ada secret":     "username",
			"Switchboard-2026!": "product name",
			"elephant":          "dictionary word",
		} {
			err := f.users.ChangeOwnPassword(ctx, me, "P1-long-enough", pw)
			e := wantReason(t, err, errs.InvalidArgument, errs.ReasonInvalidArgument)
			found := false
			for _, v := range e.Violations {
				if v.Field != "new_password" {
					t.Fatalf("violation on %s", v.Field)
				}
				found = found || strings.Contains(v.Description, want)
			}
			if !found {
				t.Errorf("%q: want a violation about %q, got %+v", pw, want, e.Violations)
			}
		}
		mustOK(t, f.users.ChangeOwnPassword(ctx, me, "P1-long-enough", "violet kayak thunder mellow"))

		// Administrators set passwords without the policies (AU-20).
		short := "aaa"
		_, err = f.users.UpdateLocalUser(ctx, "ada", users.LocalUserUpdate{Password: &short})
		mustOK(t, err)

		// Directory users have no password here.
		err = f.users.ChangeOwnPassword(ctx, &principal.Principal{Username: "x", Source: principal.SourceLDAP}, "a", "b")
		wantReason(t, err, errs.FailedPrecondition, errs.ReasonFailedPrecondition)

		// Guessing the current password is rate limited like sign-in.
		res, err = f.signIn("ada", "aaa")
		mustOK(t, err)
		for range 3 {
			_ = f.users.ChangeOwnPassword(ctx, &res.Principal, "guess", "whatever-else")
		}
		err = f.users.ChangeOwnPassword(ctx, &res.Principal, "aaa", "whatever-else")
		wantReason(t, err, errs.ResourceExhausted, errs.ReasonRateLimited)
	})
}

func TestSecurityPolicyDefaultsAndValidation(t *testing.T) {
	databasetest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		p, err := f.users.Policy(ctx)
		if err != nil || p.Length.Enabled || p.Length.MinLength != 8 || p.Reuse.Enabled || p.Reuse.Remembered != 0 ||
			p.Strength.Enabled || p.Generator.Enabled || p.Generator.WordCount != 5 {
			t.Fatalf("defaults (AU-19, AU-21, AU-24): %+v %v", p, err)
		}
		p, err = f.users.UpdatePolicy(ctx, users.PolicyUpdate{Length: &users.LengthPolicy{Enabled: true}})
		if err != nil || p.Length.MinLength != 8 {
			t.Fatalf("enabling without a value stores 8: %+v %v", p, err)
		}
		for _, n := range []int{-1, 9} {
			_, err = f.users.UpdatePolicy(ctx, users.PolicyUpdate{Generator: &users.GeneratorPolicy{WordCount: n}})
			wantReason(t, err, errs.InvalidArgument, errs.ReasonInvalidArgument)
		}
		for _, n := range []int{1, 8} {
			_, err = f.users.UpdatePolicy(ctx, users.PolicyUpdate{Generator: &users.GeneratorPolicy{WordCount: n}})
			mustOK(t, err)
		}
		_, err = f.users.SuggestPassphrase(ctx)
		wantReason(t, err, errs.FailedPrecondition, errs.ReasonFailedPrecondition) // generator off
	})
}

func TestPassphraseDictionary(t *testing.T) {
	databasetest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		d, err := f.users.Dictionary(ctx)
		if err != nil || !d.BuiltIn || d.WordCount < 2000 {
			t.Fatalf("built-in dictionary: %+v %v", d, err)
		}
		// Each broken rule has its own description (AU-25).
		descriptions := map[string]bool{}
		for name, content := range map[string][]byte{
			"invalid UTF-8": {'a', '\n', 0xff, 0xfe, '\n'},
			"NUL":           []byte("a\nb\x00c\n"),
			"too large":     bytes.Repeat([]byte("a"), users.MaxDictionaryBytes+1),
			"no words":      []byte("\n \n\t\n"),
		} {
			_, err := f.users.UploadDictionary(ctx, content, admin)
			e := wantReason(t, err, errs.InvalidArgument, errs.ReasonInvalidArgument)
			if e.Violations[0].Field != "content" || descriptions[e.Violations[0].Description] {
				t.Fatalf("%s: %+v", name, e)
			}
			descriptions[e.Violations[0].Description] = true
		}
		d, err = f.users.UploadDictionary(ctx, []byte("alpha\nbravo\ncharlie\ndelta\necho\n"), admin)
		if err != nil || d.WordCount != 5 || d.BuiltIn || d.UploadedBy != "root" {
			t.Fatalf("5-line upload: %+v %v", d, err)
		}
		// Trimmed, blank lines ignored, duplicates once (AU-28).
		d, err = f.users.UploadDictionary(ctx, []byte("a\n\n b \r\na\n"), admin)
		if err != nil || d.WordCount != 2 {
			t.Fatalf("normalised upload: %+v %v", d, err)
		}
		words := []string{}
		for i := range 10000 {
			words = append(words, fmt.Sprintf("w%05d", i))
		}
		_, err = f.users.UploadDictionary(ctx, []byte(strings.Join(words, "\n")), admin)
		mustOK(t, err)
		_, err = f.users.UpdatePolicy(ctx, users.PolicyUpdate{Generator: &users.GeneratorPolicy{Enabled: true, WordCount: 4}})
		mustOK(t, err)
		seen := map[string]bool{}
		for range 1000 {
			s, err := f.users.SuggestPassphrase(ctx)
			mustOK(t, err)
			parts := strings.Split(s, " ")
			if len(parts) != 4 || seen[s] {
				t.Fatalf("AU-27: %q", s)
			}
			for _, w := range parts {
				if len(w) != 6 || w[0] != 'w' {
					t.Fatalf("word %q is not from the dictionary", w)
				}
			}
			seen[s] = true
		}
		d, err = f.users.DeleteDictionary(ctx)
		if err != nil || !d.BuiltIn {
			t.Fatalf("delete: %+v %v", d, err)
		}
		if s, err := f.users.SuggestPassphrase(ctx); err != nil || strings.HasPrefix(s, "w0") {
			t.Fatalf("after delete the built-in list is used: %q %v", s, err)
		}
	})
}

func TestGroupMappings(t *testing.T) {
	databasetest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		g := f.mapGroup(t, "cn=Ops,ou=Groups,dc=example,dc=org", principal.RoleVideoOperator)
		_, _, err := f.users.CreateGroup(ctx, admin, "CN=ops, OU=groups,DC=Example,DC=org", principal.RoleAdministrator)
		wantReason(t, err, errs.AlreadyExists, errs.ReasonAlreadyExists)
		_, _, err = f.users.CreateGroup(ctx, admin, "not a dn", principal.RoleAdministrator)
		wantReason(t, err, errs.InvalidArgument, errs.ReasonInvalidArgument)
		_, _, err = f.users.CreateGroup(ctx, admin, "cn=x,dc=org", "")
		wantReason(t, err, errs.InvalidArgument, errs.ReasonInvalidArgument)
		for i := range 5 {
			f.mapGroup(t, fmt.Sprintf("cn=g%d,dc=example,dc=org", i), principal.RoleAdministrator)
		}
		var all []string
		token := ""
		for {
			groups, next, err := f.users.ListGroups(ctx, "", 2, token)
			mustOK(t, err)
			for _, g := range groups {
				all = append(all, g.DN)
			}
			if token = next; token == "" {
				break
			}
		}
		if len(all) != 6 {
			t.Fatalf("groups %v", all)
		}
		found, _, err := f.users.ListGroups(ctx, "OPS", 0, "")
		if err != nil || len(found) != 1 {
			t.Fatalf("search: %v %v", found, err)
		}
		role := principal.RoleAdministrator
		g2, warnings, err := f.users.UpdateGroup(ctx, &principal.Principal{Source: principal.SourceLDAP}, g.ID, users.GroupUpdate{Role: &role})
		if err != nil || g2.Role != role || len(warnings) != 1 {
			t.Fatalf("update: %+v %v %v", g2, warnings, err)
		}
		_, err = f.users.DeleteGroup(ctx, admin, g.ID)
		mustOK(t, err)
		_, err = f.users.DeleteGroup(ctx, admin, g.ID)
		wantReason(t, err, errs.NotFound, errs.ReasonNotFound)
	})
}

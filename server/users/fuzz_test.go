package users_test

import (
	"bytes"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/go-ldap/ldap/v3"

	"github.com/switchboardhq/switchboard/server/users"
)

// FuzzParseDictionary feeds arbitrary uploads to the dictionary parser: it
// must never panic, must refuse exactly the files that break a rule, and
// what it accepts must be distinct, trimmed, non-empty UTF-8 words.
//
//	go test -run '^$' -fuzz FuzzParseDictionary -fuzztime 2m ./server/users/
func FuzzParseDictionary(f *testing.F) {
	f.Add([]byte("a\n\n b \na\n"))
	f.Add([]byte("alpha\r\nbravo\r\n"))
	f.Add([]byte("\uFEFFword\n"))
	f.Add([]byte{0xff, 0xfe})
	f.Add([]byte("x\x00y"))
	f.Fuzz(func(t *testing.T, content []byte) {
		words, err := users.ParseDictionary(content)
		invalid := !utf8.Valid(content) || bytes.IndexByte(content, 0) >= 0
		if invalid && err == nil {
			t.Fatalf("accepted an invalid file %q", content)
		}
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, w := range words {
			if w == "" || w != strings.TrimSpace(w) || strings.IndexFunc(w, unicode.IsControl) >= 0 || seen[w] || !utf8.ValidString(w) {
				t.Fatalf("bad word %q from %q", w, content)
			}
			seen[w] = true
		}
	})
}

// FuzzNormalizeDN checks the group DN key: it never panics, and the key of
// a valid DN is itself a valid DN with the same key (so that keys compare
// groups, never clash by accident of escaping).
//
//	go test -run '^$' -fuzz FuzzNormalizeDN -fuzztime 2m ./server/users/
func FuzzNormalizeDN(f *testing.F) {
	for _, s := range []string{"cn=Ops,ou=Groups,dc=example,dc=org", `cn=a\,b+uid=x,dc=org`, `cn=#41,dc=x`,
		`cn= lead,dc=x`, `cn=\00,dc=x`, "cn=ÅÄÖ,o=Ünïcødé", `cn="quoted",dc=x`, "OU=x ,DC=y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, dn string) {
		key, err := users.NormalizeDN(dn)
		if err != nil {
			return
		}
		again, err := users.NormalizeDN(key)
		if err != nil {
			t.Fatalf("the key %q of %q does not parse: %v", key, dn, err)
		}
		if again != key {
			t.Fatalf("key not stable: %q -> %q -> %q", dn, key, again)
		}
	})
}

// FuzzUserFilter checks that no typed username can change the structure of
// the user search filter: whatever it is, the filter compiles to one
// equality match on the configured attribute whose value is exactly the
// username.
//
//	go test -run '^$' -fuzz FuzzUserFilter -fuzztime 2m ./server/users/
func FuzzUserFilter(f *testing.F) {
	for _, s := range []string{"alice", "*", "alice)(uid=*", `\2a`, "a\x00b", "(|(uid=*))", "Ünïcødé"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, username string) {
		if username == "" {
			return
		}
		filter := users.UserFilter("uid", username)
		packet, err := ldap.CompileFilter(filter)
		if err != nil {
			t.Fatalf("filter %q for %q does not compile: %v", filter, username, err)
		}
		if packet.Tag != ldap.FilterEqualityMatch || len(packet.Children) != 2 {
			t.Fatalf("filter %q for %q is not one equality match", filter, username)
		}
		if attr := packet.Children[0].Data.String(); attr != "uid" {
			t.Fatalf("attribute %q", attr)
		}
		if value := packet.Children[1].Data.String(); value != username {
			t.Fatalf("value %q, want %q", value, username)
		}
	})
}

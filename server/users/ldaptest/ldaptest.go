// Package ldaptest runs a real OpenLDAP slapd (the Debian slapd and
// ldap-utils packages) on loopback ports for tests: plain LDAP with
// StartTLS and LDAPS, under a CA the test generates, seeded with users and
// groups that exercise directory sign-in: nested groups, a user in both an
// operator and an administrator group, groupOfUniqueNames, non-ASCII
// display names and mixed-case attribute names.
//
// A machine without slapd fails the test with instructions; it never
// skips, so that CI cannot pass without the directory tests.
package ldaptest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The seeded directory.
const (
	BaseDN        = "dc=example,dc=org"
	PeopleDN      = "ou=people," + BaseDN
	GroupsDN      = "ou=groups," + BaseDN
	AdminDN       = "cn=admin," + BaseDN
	AdminPassword = "directory-admin-secret"

	// AdminsGroup has alice; OperatorsGroup has alice and, through the
	// nested OpsTeamGroup, bob; LegacyGroup (groupOfUniqueNames) has dave;
	// carol is in no group; erin's entry spells its attribute names in
	// mixed case and is in OperatorsGroup.
	AdminsGroup    = "cn=admins," + GroupsDN
	OperatorsGroup = "cn=operators," + GroupsDN
	OpsTeamGroup   = "cn=ops-team," + GroupsDN
	LegacyGroup    = "cn=legacy," + GroupsDN
	EmptyGroup     = "cn=empty," + GroupsDN
)

// User is a seeded user.
type User struct {
	UID, Password, DisplayName string
}

// The seeded users.
var (
	Alice = User{"alice", "alice-Secret-1", "Alice Ådahl"}
	Bob   = User{"bob", "bob-Secret-2", "Bøb Ünïcødé"}
	Carol = User{"carol", "carol-Secret-3", "Carol Nobody"}
	Dave  = User{"dave", "dave-Secret-4", "Dave Unique"}
	Erin  = User{"erin", "erin-Secret-5", "Érin Müller"}
)

// DN returns the entry DN of a seeded user.
func (u User) DN() string { return "uid=" + u.UID + "," + PeopleDN }

// Server is a running slapd.
type Server struct {
	// Host is 127.0.0.1; Port serves LDAP and StartTLS, TLSPort LDAPS.
	Host    string
	Port    int
	TLSPort int
	// CAPEM is the CA that issued the server certificate (for
	// 127.0.0.1); OtherCAPEM is an unrelated CA.
	CAPEM      string
	OtherCAPEM string

	dir string
}

var (
	checkOnce sync.Once
	checkErr  error
)

func requireSlapd() error {
	checkOnce.Do(func() {
		for _, bin := range []string{"slapd", "ldapadd", "ldapsearch", "ldapmodify"} {
			if _, err := lookPath(bin); err != nil {
				checkErr = fmt.Errorf("ldaptest: %s is not installed: the directory tests need a real OpenLDAP server; "+
					"run `apt-get install -y slapd ldap-utils` (.ci/run does)", bin)
				return
			}
		}
	})
	return checkErr
}

func lookPath(bin string) (string, error) {
	if p, err := exec.LookPath(bin); err == nil {
		return p, nil
	}
	for _, dir := range []string{"/usr/sbin", "/usr/bin"} {
		p := filepath.Join(dir, bin)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found", bin)
}

// Start runs a seeded slapd until the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	if err := requireSlapd(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "db"), 0o700); err != nil {
		t.Fatal(err)
	}
	s := &Server{Host: "127.0.0.1", Port: freePort(t), TLSPort: freePort(t), dir: dir}
	caPEM, certPEM, keyPEM := issue(t, "Switchboard test CA", "127.0.0.1")
	other, _, _ := issue(t, "Unrelated CA", "127.0.0.1")
	s.CAPEM, s.OtherCAPEM = string(caPEM), string(other)
	write(t, filepath.Join(dir, "ca.pem"), caPEM)
	write(t, filepath.Join(dir, "cert.pem"), certPEM)
	write(t, filepath.Join(dir, "key.pem"), keyPEM)
	write(t, filepath.Join(dir, "slapd.conf"), []byte(strings.ReplaceAll(slapdConf, "$DIR", dir)))

	slapd, _ := lookPath("slapd")
	urls := fmt.Sprintf("ldap://127.0.0.1:%d/ ldaps://127.0.0.1:%d/", s.Port, s.TLSPort)
	cmd := exec.Command(slapd, "-f", filepath.Join(dir, "slapd.conf"), "-h", urls, "-d", "0")
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("ldaptest: start slapd: %v", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		if err := s.run("ldapsearch", "-x", "-H", s.URL(), "-b", "", "-s", "base"); err == nil {
			break
		}
		select {
		case <-exited:
			t.Fatalf("ldaptest: slapd exited: %s", logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("ldaptest: slapd did not answer within 10 s: %s", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Loaded over LDAP, not with slapadd: the memberof overlay maintains
	// memberOf only on LDAP operations.
	ldif := filepath.Join(dir, "seed.ldif")
	write(t, ldif, []byte(seed()))
	if err := s.run("ldapadd", "-x", "-H", s.URL(), "-D", AdminDN, "-w", AdminPassword, "-f", ldif); err != nil {
		t.Fatalf("ldaptest: seed: %v", err)
	}
	return s
}

// URL is the plain LDAP URL.
func (s *Server) URL() string { return fmt.Sprintf("ldap://%s:%d", s.Host, s.Port) }

// Modify applies an LDIF change (ldapmodify) as the directory manager.
func (s *Server) Modify(t testing.TB, ldif string) {
	t.Helper()
	f := filepath.Join(s.dir, fmt.Sprintf("change-%d.ldif", time.Now().UnixNano()))
	write(t, f, []byte(ldif))
	if err := s.run("ldapmodify", "-x", "-H", s.URL(), "-D", AdminDN, "-w", AdminPassword, "-f", f); err != nil {
		t.Fatalf("ldaptest: modify: %v", err)
	}
}

func (s *Server) run(name string, args ...string) error {
	bin, err := lookPath(name)
	if err != nil {
		return err
	}
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %v: %s", name, err, out)
	}
	return nil
}

// Hang listens on a loopback port, accepts connections and never answers:
// a directory that hangs. It returns the port.
func Hang(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().(*net.TCPAddr).Port
}

// ClosedPort returns a loopback port nothing listens on.
func ClosedPort(t testing.TB) int { return freePort(t) }

func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func write(t testing.TB, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// issue makes a CA and a server certificate for ip signed by it.
func issue(t testing.TB, caName, ip string) (caPEM, certPEM, keyPEM []byte) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: caName},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: ip},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP(ip)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
}

// slapdConf is the verified minimal configuration (toolchain.md §4) plus
// TLS.
const slapdConf = `include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
pidfile  $DIR/slapd.pid
argsfile $DIR/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload memberof
moduleload refint
TLSCACertificateFile $DIR/ca.pem
TLSCertificateFile $DIR/cert.pem
TLSCertificateKeyFile $DIR/key.pem
database mdb
maxsize 104857600
suffix "dc=example,dc=org"
rootdn "cn=admin,dc=example,dc=org"
rootpw ` + AdminPassword + `
directory $DIR/db
index objectClass eq
index uid,cn,member,uniqueMember eq
overlay memberof
memberof-group-oc groupOfNames
memberof-member-ad member
memberof-memberof-ad memberOf
memberof-refint TRUE
access to attrs=userPassword by self write by anonymous auth by * none
access to * by * read
`

func person(u User, lines ...string) string {
	given, family, _ := strings.Cut(u.DisplayName, " ")
	return "dn: " + u.DN() + "\nobjectClass: inetOrgPerson\nuid: " + u.UID + "\ncn: " + u.DisplayName +
		"\ngivenName: " + given + "\nsn: " + family + "\ndisplayName: " + u.DisplayName +
		"\nuserPassword: " + u.Password + "\n" + strings.Join(lines, "\n") + "\n"
}

func seed() string {
	parts := []string{
		"dn: " + BaseDN + "\nobjectClass: dcObject\nobjectClass: organization\no: Example\ndc: example\n",
		"dn: " + PeopleDN + "\nobjectClass: organizationalUnit\nou: people\n",
		"dn: " + GroupsDN + "\nobjectClass: organizationalUnit\nou: groups\n",
		person(Alice), person(Bob), person(Carol), person(Dave),
		// Mixed-case attribute names, as some directories export them.
		"dn: " + Erin.DN() + "\nObjectClass: inetOrgPerson\nUID: " + Erin.UID + "\nCN: " + Erin.DisplayName +
			"\nSN: Müller\nDisplayName: " + Erin.DisplayName + "\nUserPassword: " + Erin.Password + "\n",
		"dn: " + OpsTeamGroup + "\nobjectClass: groupOfNames\ncn: ops-team\nmember: " + Bob.DN() + "\n",
		"dn: " + OperatorsGroup + "\nobjectClass: groupOfNames\ncn: operators\nmember: " + Alice.DN() +
			"\nmember: " + OpsTeamGroup + "\nmember: " + Erin.DN() + "\n",
		"dn: " + AdminsGroup + "\nobjectClass: groupOfNames\ncn: admins\nmember: " + Alice.DN() + "\n",
		"dn: " + LegacyGroup + "\nobjectClass: groupOfUniqueNames\ncn: legacy\nuniqueMember: " + Dave.DN() + "\n",
		// groupOfNames needs a member; an empty group points at itself's OU.
		"dn: " + EmptyGroup + "\nobjectClass: groupOfNames\ncn: empty\nmember: " + GroupsDN + "\n",
	}
	return strings.Join(parts, "\n")
}

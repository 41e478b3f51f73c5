package cms

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// pki is a throwaway certificate authority for the trust tests.
type pki struct {
	t    *testing.T
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	// serial numbers revoked on this CA's CRL
	mu      sync.Mutex
	revoked []*big.Int
	next    time.Time // NextUpdate of the CRLs it issues
}

var serial atomic.Int64

func newKey(t *testing.T) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newCA(t *testing.T, name string) *pki {
	key := newKey(t)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(serial.Add(1)),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &pki{t: t, cert: cert, key: key, next: time.Now().Add(time.Hour)}
}

// leafOpts describe an issued certificate.
type leafOpts struct {
	cn       string
	dns      []string
	ips      []net.IP
	cdp      []string
	ca       bool // issue an intermediate CA instead of a server certificate
	notAfter time.Time
}

func (p *pki) issue(o leafOpts) (*x509.Certificate, *ecdsa.PrivateKey) {
	key := newKey(p.t)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(serial.Add(1)),
		Subject:               pkix.Name{CommonName: o.cn},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(12 * time.Hour),
		DNSNames:              o.dns,
		IPAddresses:           o.ips,
		CRLDistributionPoints: o.cdp,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	if !o.notAfter.IsZero() {
		tmpl.NotAfter = o.notAfter
	}
	if o.ca {
		tmpl.IsCA = true
		tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
		tmpl.ExtKeyUsage = nil
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.cert, &key.PublicKey, p.key)
	if err != nil {
		p.t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return cert, key
}

func (p *pki) revoke(c *x509.Certificate) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.revoked = append(p.revoked, c.SerialNumber)
}

func (p *pki) crl() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	var entries []x509.RevocationListEntry
	for _, s := range p.revoked {
		entries = append(entries, x509.RevocationListEntry{SerialNumber: s, RevocationTime: time.Now().Add(-time.Minute)})
	}
	der, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{
		Number:                    big.NewInt(serial.Add(1)),
		ThisUpdate:                time.Now().Add(-time.Minute),
		NextUpdate:                p.next,
		RevokedCertificateEntries: entries,
	}, p.cert, p.key)
	if err != nil {
		p.t.Fatal(err)
	}
	return der
}

func pemOf(certs ...*x509.Certificate) []byte {
	var b []byte
	for _, c := range certs {
		b = append(b, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return b
}

// crlServer serves CAs' CRLs over plain HTTP on loopback and counts
// fetches.
type crlServer struct {
	srv     *httptest.Server
	fetches atomic.Int32
	cas     map[string]*pki
}

func newCRLServer(t *testing.T) *crlServer {
	cs := &crlServer{cas: map[string]*pki{}}
	cs.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cs.fetches.Add(1)
		ca, ok := cs.cas[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/pkix-crl")
		w.Write(ca.crl())
	}))
	t.Cleanup(cs.srv.Close)
	return cs
}

func (cs *crlServer) url(path string, ca *pki) string {
	cs.cas[path] = ca
	return cs.srv.URL + path
}

// bridge starts a TLS server presenting chain (leaf first) on network
// address listen ("127.0.0.1:0" or "[::1]:0") and answering
// /api/v1/system/status.
func bridge(t *testing.T, listen string, key *ecdsa.PrivateKey, chain ...*x509.Certificate) string {
	t.Helper()
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		t.Skipf("cannot listen on %s: %v", listen, err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`<status><softwareVersion>3.4</softwareVersion></status>`))
	}))
	srv.Listener.Close()
	srv.Listener = ln
	cert := tls.Certificate{PrivateKey: key, Leaf: chain[0]}
	for _, c := range chain {
		cert.Certificate = append(cert.Certificate, c.Raw)
	}
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.Config.ErrorLog = quiet // rejected handshakes are the point of these tests
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return ln.Addr().String()
}

func probe(t *testing.T, cfg Config) error {
	t.Helper()
	cfg.Retry = Retry{Attempts: 1}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = c.SystemStatus(context.Background())
	if err == nil && cfg.TrustedChain != nil && !c.TLSVerified() {
		t.Error("TLSVerified() must be true with a trusted chain")
	}
	return err
}

func wantKind(t *testing.T, name string, err error, kind Kind, sentinel error, text string) {
	t.Helper()
	var ce *ConnError
	if !errors.As(err, &ce) || ce.Kind != kind || !errors.Is(err, sentinel) {
		t.Errorf("%s: want %v, got %v", name, kind, err)
		return
	}
	if text != "" && !strings.Contains(err.Error(), text) {
		t.Errorf("%s: message %q lacks %q", name, err, text)
	}
}

var loopback = []net.IP{net.ParseIP("127.0.0.1")}

var quiet = log.New(io.Discard, "", 0)

func TestTrustedChain(t *testing.T) {
	ca := newCA(t, "Switchboard Test Root")
	other := newCA(t, "Someone Else's Root")

	leaf, key := ca.issue(leafOpts{cn: "cms1.example.com", dns: []string{"cms1.example.com"}, ips: loopback})
	addr := bridge(t, "127.0.0.1:0", key, leaf)
	if err := probe(t, Config{Address: addr, TrustedChain: pemOf(ca.cert)}); err != nil {
		t.Errorf("good chain, IP SAN: %v", err)
	}
	wantKind(t, "wrong CA", probe(t, Config{Address: addr, TrustedChain: pemOf(other.cert)}), KindUntrusted, ErrUntrusted, "unknown authority")

	// A certificate for another name, whose CN happens to be the address:
	// with SANs present the CN does not count.
	wrong, wkey := ca.issue(leafOpts{cn: "127.0.0.1", dns: []string{"cms2.example.com"}})
	waddr := bridge(t, "127.0.0.1:0", wkey, wrong)
	wantKind(t, "name mismatch", probe(t, Config{Address: waddr, TrustedChain: pemOf(ca.cert)}), KindNameMismatch, ErrNameMismatch, "127.0.0.1")

	expired, ekey := ca.issue(leafOpts{ips: loopback, notAfter: time.Now().Add(-time.Minute)})
	eaddr := bridge(t, "127.0.0.1:0", ekey, expired)
	wantKind(t, "expired", probe(t, Config{Address: eaddr, TrustedChain: pemOf(ca.cert)}), KindUntrusted, ErrUntrusted, "expired")

	// Without a chain the same mismatched certificate is accepted, and
	// reported as unverified.
	c, _ := New(Config{Address: waddr})
	if _, err := c.SystemStatus(context.Background()); err != nil || c.TLSVerified() {
		t.Errorf("unverified: %v, TLSVerified %v", err, c.TLSVerified())
	}
}

func TestCommonNameOnlyWhenNoSANs(t *testing.T) {
	ca := newCA(t, "root")
	cnOnly, key := ca.issue(leafOpts{cn: "127.0.0.1"})
	addr := bridge(t, "127.0.0.1:0", key, cnOnly)
	if err := probe(t, Config{Address: addr, TrustedChain: pemOf(ca.cert)}); err != nil {
		t.Errorf("CN-only certificate matching the address: %v", err)
	}
	other, okey := ca.issue(leafOpts{cn: "cms9.example.com"})
	oaddr := bridge(t, "127.0.0.1:0", okey, other)
	wantKind(t, "CN-only mismatch", probe(t, Config{Address: oaddr, TrustedChain: pemOf(ca.cert)}), KindNameMismatch, ErrNameMismatch, "common name")

	for pattern, host := range map[string]string{"*.example.com": "cms1.example.com", "cms1.example.com": "CMS1.example.com."} {
		if err := verifyName(&x509.Certificate{Subject: pkix.Name{CommonName: pattern}}, host); err != nil {
			t.Errorf("CN %q vs %q: %v", pattern, host, err)
		}
	}
	for _, c := range [][2]string{{"*.example.com", "a.b.example.com"}, {"*.example.com", "example.com"}, {"", "x"}, {"10.0.0.1", "10.0.0.2"}} {
		if verifyName(&x509.Certificate{Subject: pkix.Name{CommonName: c[0]}}, c[1]) == nil {
			t.Errorf("CN %q must not match %q", c[0], c[1])
		}
	}
}

func TestIPv6Address(t *testing.T) {
	ca := newCA(t, "root")
	leaf, key := ca.issue(leafOpts{ips: []net.IP{net.ParseIP("::1")}})
	addr := bridge(t, "[::1]:0", key, leaf)
	_, port, _ := net.SplitHostPort(addr)
	for _, a := range []string{addr, "https://" + addr} {
		if err := probe(t, Config{Address: a, TrustedChain: pemOf(ca.cert)}); err != nil {
			t.Errorf("%s: %v", a, err)
		}
	}
	if err := probe(t, Config{Address: "::1", Port: atoi(port), TrustedChain: pemOf(ca.cert)}); err != nil {
		t.Errorf("bare ::1 with a port: %v", err)
	}
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

func TestCRLChecking(t *testing.T) {
	ca := newCA(t, "root")
	crls := newCRLServer(t)
	cdp := crls.url("/root.crl", ca)
	now := time.Now()
	var clock atomic.Int64
	clock.Store(now.UnixNano())
	checker := NewCRLChecker(CRLOptions{Now: func() time.Time { return time.Unix(0, clock.Load()) }})
	chain := pemOf(ca.cert)

	good, gkey := ca.issue(leafOpts{ips: loopback, cdp: []string{"ldap:///CN=root,CN=CDP", cdp}})
	gaddr := bridge(t, "127.0.0.1:0", gkey, good)
	for i := range 3 {
		if err := probe(t, Config{Address: gaddr, TrustedChain: chain, CRL: checker}); err != nil {
			t.Fatalf("connection %d with a good certificate: %v", i+1, err)
		}
	}
	if n := crls.fetches.Load(); n != 1 {
		t.Errorf("the CRL must be cached until NextUpdate: %d fetches for 3 connections", n)
	}
	// Past NextUpdate the CRL is fetched again.
	clock.Store(now.Add(2 * time.Hour).UnixNano())
	ca.next = now.Add(3 * time.Hour)
	if err := probe(t, Config{Address: gaddr, TrustedChain: chain, CRL: checker}); err != nil {
		t.Fatal(err)
	}
	if n := crls.fetches.Load(); n != 2 {
		t.Errorf("after NextUpdate: %d fetches, want 2", n)
	}

	revoked, rkey := ca.issue(leafOpts{ips: loopback, cdp: []string{cdp}})
	ca.revoke(revoked)
	raddr := bridge(t, "127.0.0.1:0", rkey, revoked)
	fresh := NewCRLChecker(CRLOptions{})
	wantKind(t, "revoked", probe(t, Config{Address: raddr, TrustedChain: chain, CRL: fresh}), KindRevoked, ErrRevoked, revoked.SerialNumber.String())

	noCDP, nkey := ca.issue(leafOpts{ips: loopback, cdp: []string{"ldap:///CN=root,CN=CDP"}})
	naddr := bridge(t, "127.0.0.1:0", nkey, noCDP)
	wantKind(t, "no HTTP CDP", probe(t, Config{Address: naddr, TrustedChain: chain, CRL: fresh}), KindCRLUnavailable, ErrCRLUnavailable, "no HTTP CRL distribution point")

	down := httptest.NewServer(http.NotFoundHandler())
	downURL := down.URL + "/root.crl"
	down.Close()
	unreach, ukey := ca.issue(leafOpts{ips: loopback, cdp: []string{downURL}})
	uaddr := bridge(t, "127.0.0.1:0", ukey, unreach)
	wantKind(t, "CRL server down", probe(t, Config{Address: uaddr, TrustedChain: chain, CRL: fresh}), KindCRLUnavailable, ErrCRLUnavailable, "fetch CRL")

	missing, mkey := ca.issue(leafOpts{ips: loopback, cdp: []string{crls.srv.URL + "/nothing-here.crl"}})
	maddr := bridge(t, "127.0.0.1:0", mkey, missing)
	wantKind(t, "CRL 404", probe(t, Config{Address: maddr, TrustedChain: chain, CRL: fresh}), KindCRLUnavailable, ErrCRLUnavailable, "HTTP 404")

	// A CRL signed by another CA is not accepted as this issuer's CRL.
	impostor := newCA(t, "root")
	forged, fkey := ca.issue(leafOpts{ips: loopback, cdp: []string{crls.url("/forged.crl", impostor)}})
	faddr := bridge(t, "127.0.0.1:0", fkey, forged)
	wantKind(t, "forged CRL", probe(t, Config{Address: faddr, TrustedChain: chain, CRL: fresh}), KindCRLUnavailable, ErrCRLUnavailable, "signature")
}

func TestCRLCoversIntermediates(t *testing.T) {
	root := newCA(t, "root")
	crls := newCRLServer(t)
	interCert, interKey := root.issue(leafOpts{cn: "issuing CA", ca: true, cdp: []string{crls.url("/root.crl", root)}})
	inter := &pki{t: t, cert: interCert, key: interKey, next: time.Now().Add(time.Hour)}
	leaf, key := inter.issue(leafOpts{ips: loopback, cdp: []string{crls.url("/inter.crl", inter)}})
	addr := bridge(t, "127.0.0.1:0", key, leaf, interCert)

	// The uploaded chain may hold the intermediate too: the root is still
	// the anchor, so the intermediate's revocation is checked.
	for _, chain := range [][]byte{pemOf(root.cert), pemOf(interCert, root.cert)} {
		if err := probe(t, Config{Address: addr, TrustedChain: chain, CRL: NewCRLChecker(CRLOptions{})}); err != nil {
			t.Fatalf("good chain: %v", err)
		}
	}
	root.revoke(interCert)
	for _, chain := range [][]byte{pemOf(root.cert), pemOf(interCert, root.cert)} {
		wantKind(t, "revoked intermediate", probe(t, Config{Address: addr, TrustedChain: chain, CRL: NewCRLChecker(CRLOptions{})}),
			KindRevoked, ErrRevoked, "issuing CA")
	}
	// Trusting the intermediate alone makes it the anchor.
	if err := probe(t, Config{Address: addr, TrustedChain: pemOf(interCert), CRL: NewCRLChecker(CRLOptions{})}); err != nil {
		t.Errorf("intermediate as anchor: %v", err)
	}
}

func TestTLSVersionsAndCipherSuites(t *testing.T) {
	ca := newCA(t, "root")
	leaf, key := ca.issue(leafOpts{ips: loopback})
	start := func(cfg *tls.Config) string {
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`<status/>`))
		}))
		cfg.Certificates = []tls.Certificate{{PrivateKey: key, Certificate: [][]byte{leaf.Raw}}}
		srv.TLS = cfg
		srv.Config.ErrorLog = quiet
		srv.StartTLS()
		t.Cleanup(srv.Close)
		return strings.TrimPrefix(srv.URL, "https://")
	}
	old := start(&tls.Config{MaxVersion: tls.VersionTLS11})
	wantKind(t, "TLS 1.1 server", probe(t, Config{Address: old}), KindTLSHandshake, ErrTLSHandshake, "")

	only := start(&tls.Config{MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}})
	ids, err := CipherSuiteIDs([]string{"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"})
	if err != nil {
		t.Fatal(err)
	}
	wantKind(t, "no common cipher suite", probe(t, Config{Address: only, CipherSuites: ids}), KindTLSHandshake, ErrTLSHandshake, "")
	ids, _ = CipherSuiteIDs([]string{"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", " TLS_RSA_WITH_AES_128_CBC_SHA"})
	if err := probe(t, Config{Address: only, CipherSuites: ids, TrustedChain: pemOf(ca.cert)}); err != nil {
		t.Errorf("configured suite offered by the server: %v", err)
	}
	if _, err := CipherSuiteIDs([]string{"TLS_FANCY"}); err == nil || !strings.Contains(err.Error(), "TLS_FANCY") {
		t.Errorf("unknown suite: %v", err)
	}
}

func TestParseTrustedChain(t *testing.T) {
	ca := newCA(t, "root")
	for in, want := range map[string]string{
		"":        "no PEM certificate",
		"not pem": "no PEM certificate",
		"-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n": "unexpected PEM block",
		"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n":         "certificate 1",
		string(pemOf(ca.cert)) + "junk":                                          "text after",
	} {
		if _, err := ParseTrustedChain([]byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%.30q: %v, want %q", in, err, want)
		}
	}
	if certs, err := ParseTrustedChain(pemOf(ca.cert, ca.cert)); err != nil || len(certs) != 2 {
		t.Errorf("%v %v", certs, err)
	}
	if _, err := New(Config{Address: "cms1", TrustedChain: []byte("nope")}); err == nil {
		t.Error("New must refuse a bad chain")
	}
}

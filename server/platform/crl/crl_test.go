package crl

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

type pki struct {
	ca    *x509.Certificate
	caKey *ecdsa.PrivateKey
}

func newPKI(t *testing.T) pki {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(der)
	return pki{ca: ca, caKey: key}
}

func (p pki) leaf(t *testing.T, serial int64, cdps ...string) *x509.Certificate {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "leaf"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), CRLDistributionPoints: cdps}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.ca, &key.PublicKey, p.caKey)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return c
}

func (p pki) crl(t *testing.T, revoked ...int64) []byte {
	t.Helper()
	var entries []x509.RevocationListEntry
	for _, s := range revoked {
		entries = append(entries, x509.RevocationListEntry{SerialNumber: big.NewInt(s), RevocationTime: time.Now()})
	}
	der, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{Number: big.NewInt(1),
		ThisUpdate: time.Now(), NextUpdate: time.Now().Add(time.Hour), RevokedCertificateEntries: entries}, p.ca, p.caKey)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// TestSV12 runs the CRLServer scenarios of SPEC SV-12.
func TestSV12(t *testing.T) {
	p := newPKI(t)
	list := p.crl(t, 66)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(list) }))
	defer srv.Close()
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	c := Checker{Client: srv.Client()}
	ctx := context.Background()
	cases := []struct {
		name string
		cert *x509.Certificate
		want string
	}{
		{"valid chain with a reachable CRL", p.leaf(t, 5, srv.URL+"/ca.crl"), ""},
		{"revoked leaf", p.leaf(t, 66, srv.URL+"/ca.crl"), "revoked"},
		{"no distribution point", p.leaf(t, 7), "no CRL distribution point"},
		{"ldap:// distribution point", p.leaf(t, 8, "ldap://dir.example/cn=crl"), "no HTTP CRL"},
		{"CRL server stopped", p.leaf(t, 9, down.URL+"/ca.crl"), "cannot fetch"},
	}
	for _, tc := range cases {
		err := c.Check(ctx, []*x509.Certificate{tc.cert, p.ca})
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: got %v, want %q", tc.name, err, tc.want)
		}
	}
	// A CRL signed by another CA is not trusted.
	other := newPKI(t)
	forged := other.crl(t)
	fsrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(forged) }))
	defer fsrv.Close()
	if err := c.Check(ctx, []*x509.Certificate{p.leaf(t, 10, fsrv.URL), p.ca}); err == nil || !strings.Contains(err.Error(), "not signed") {
		t.Fatalf("forged CRL: %v", err)
	}
}

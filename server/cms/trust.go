package cms

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// ParseTrustedChain reads the PEM certificates an administrator uploaded
// as a bridge's trusted chain. It fails on an empty chain or on PEM blocks
// that are not certificates, so that a wrong upload is refused when it is
// saved instead of on the first connection.
func ParseTrustedChain(pemBytes []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	rest := pemBytes
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("cms: trusted chain: unexpected PEM block %q (only CERTIFICATE blocks belong in a chain)", block.Type)
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("cms: trusted chain: certificate %d: %w", len(certs)+1, err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, errors.New("cms: trusted chain: no PEM certificate found")
	}
	if len(bytes.TrimSpace(rest)) > 0 {
		return nil, errors.New("cms: trusted chain: text after the last PEM certificate")
	}
	return certs, nil
}

// CipherSuiteIDs maps cipher suite names as Go and IANA spell them
// ("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256") to their ids, for
// Config.CipherSuites. Suites Go lists as insecure are accepted, because an
// old bridge may offer nothing else; it is the administrator's choice.
func CipherSuiteIDs(names []string) ([]uint16, error) {
	known := map[string]uint16{}
	for _, s := range tls.CipherSuites() {
		known[s.Name] = s.ID
	}
	for _, s := range tls.InsecureCipherSuites() {
		known[s.Name] = s.ID
	}
	ids := make([]uint16, 0, len(names))
	for _, n := range names {
		id, ok := known[strings.TrimSpace(n)]
		if !ok {
			return nil, fmt.Errorf("cms: unknown cipher suite %q", n)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// verifier checks a bridge's certificate against the configured trusted
// chain, the configured address and, optionally, the CRLs.
type verifier struct {
	host          string
	roots         *x509.CertPool
	intermediates []*x509.Certificate
	crl           *CRLChecker
	now           func() time.Time
}

func newVerifier(host string, chain []*x509.Certificate, crl *CRLChecker, now func() time.Time) *verifier {
	v := &verifier{host: host, roots: x509.NewCertPool(), crl: crl, now: now}
	// The top of the uploaded chain is the trust anchor: a certificate is
	// a root when it is self-signed or when nothing else in the upload
	// issued it. The rest are intermediates, so that their revocation is
	// still checked.
	for _, c := range chain {
		issued := false
		for _, p := range chain {
			if p != c && bytes.Equal(c.RawIssuer, p.RawSubject) && c.CheckSignatureFrom(p) == nil {
				issued = true
				break
			}
		}
		if issued && !bytes.Equal(c.RawIssuer, c.RawSubject) {
			v.intermediates = append(v.intermediates, c)
		} else {
			v.roots.AddCert(c)
		}
	}
	return v
}

// verifyConnection is the tls.Config.VerifyConnection hook. Go's own
// verification is switched off (InsecureSkipVerify) so that each failure
// can be told apart and so that the name check can fall back to the
// common name for certificates without any subject alternative name.
func (v *verifier) verifyConnection(cs tls.ConnectionState) error {
	certs := cs.PeerCertificates
	if len(certs) == 0 {
		return &trustError{KindTLSHandshake, errors.New("the server sent no certificate")}
	}
	inter := x509.NewCertPool()
	for _, c := range v.intermediates {
		inter.AddCert(c)
	}
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	chains, err := certs[0].Verify(x509.VerifyOptions{
		Roots:         v.roots,
		Intermediates: inter,
		CurrentTime:   v.now(),
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	if err != nil {
		return &trustError{KindUntrusted, err}
	}
	if err := verifyName(certs[0], v.host); err != nil {
		return &trustError{KindNameMismatch, err}
	}
	if v.crl == nil {
		return nil
	}
	var first error
	for _, chain := range chains {
		err := v.crl.checkChain(chain)
		if err == nil {
			return nil
		}
		if first == nil {
			first = err
		}
	}
	return first
}

// verifyName checks the certificate against the configured host. With any
// subject alternative name present only those count (Go's rule, and RFC
// 6125's); a certificate with none at all is matched on its common name,
// as browsers once did and as older bridge certificates still need.
func verifyName(leaf *x509.Certificate, host string) error {
	if len(leaf.DNSNames) > 0 || len(leaf.IPAddresses) > 0 || len(leaf.EmailAddresses) > 0 || len(leaf.URIs) > 0 {
		return leaf.VerifyHostname(host)
	}
	cn := leaf.Subject.CommonName
	if ip := net.ParseIP(host); ip != nil {
		if cip := net.ParseIP(cn); cip != nil && cip.Equal(ip) {
			return nil
		}
	} else if matchHostname(strings.ToLower(strings.TrimSuffix(cn, ".")), strings.ToLower(strings.TrimSuffix(host, "."))) {
		return nil
	}
	return fmt.Errorf("certificate has no subject alternative names and its common name %q does not match %q", cn, host)
}

// matchHostname compares a DNS name to a pattern that may have one
// leading "*." label, which matches exactly one label.
func matchHostname(pattern, host string) bool {
	if pattern == "" {
		return false
	}
	if rest, ok := strings.CutPrefix(pattern, "*."); ok {
		_, hrest, found := strings.Cut(host, ".")
		return found && hrest == rest && !strings.Contains(rest, "*")
	}
	return pattern == host
}

// CRLChecker fetches and caches certificate revocation lists from HTTP
// distribution points. One checker can be shared by every bridge client of
// a process so that a CRL is fetched once until its NextUpdate.
type CRLChecker struct {
	client  *http.Client
	now     func() time.Time
	maxSize int64
	// defaultTTL is how long a CRL without NextUpdate is kept.
	defaultTTL time.Duration

	mu      sync.Mutex
	entries map[string]*crlEntry
}

type crlEntry struct {
	mu      sync.Mutex // held while fetching, so one fetch serves concurrent handshakes
	list    *x509.RevocationList
	revoked map[string]struct{}
	expires time.Time
}

// CRLOptions configures a CRLChecker; the zero value is usable.
type CRLOptions struct {
	// HTTPClient fetches CRLs. Nil means a client with a 10 s timeout.
	HTTPClient *http.Client
	// Now is the clock for NextUpdate checks. Nil means time.Now.
	Now func() time.Time
	// MaxSize bounds a CRL download. Zero means 32 MiB.
	MaxSize int64
	// DefaultTTL is how long a CRL without a NextUpdate is kept. Zero means
	// one hour.
	DefaultTTL time.Duration
}

// NewCRLChecker returns a checker with an empty cache.
func NewCRLChecker(o CRLOptions) *CRLChecker {
	c := &CRLChecker{client: o.HTTPClient, now: o.Now, maxSize: o.MaxSize, defaultTTL: o.DefaultTTL, entries: map[string]*crlEntry{}}
	if c.client == nil {
		c.client = &http.Client{Timeout: 10 * time.Second}
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.maxSize == 0 {
		c.maxSize = 32 << 20
	}
	if c.defaultTTL == 0 {
		c.defaultTTL = time.Hour
	}
	return c
}

// checkChain checks every certificate of a verified chain except the
// trust anchor against its issuer's CRL.
func (c *CRLChecker) checkChain(chain []*x509.Certificate) error {
	for i := 0; i+1 < len(chain); i++ {
		if err := c.check(chain[i], chain[i+1]); err != nil {
			return err
		}
	}
	return nil
}

func (c *CRLChecker) check(cert, issuer *x509.Certificate) error {
	var urls []string
	for _, dp := range cert.CRLDistributionPoints {
		l := strings.ToLower(dp)
		if strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://") {
			urls = append(urls, dp)
		}
	}
	if len(urls) == 0 {
		return &trustError{KindCRLUnavailable, fmt.Errorf("certificate %q has no HTTP CRL distribution point", cert.Subject.String())}
	}
	var errs []error
	for _, u := range urls {
		e, err := c.get(u, issuer)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if _, revoked := e.revoked[cert.SerialNumber.String()]; revoked {
			return &trustError{KindRevoked, fmt.Errorf("certificate %q (serial %s) is listed on %s", cert.Subject.String(), cert.SerialNumber, u)}
		}
		return nil
	}
	return &trustError{KindCRLUnavailable, fmt.Errorf("certificate %q: %w", cert.Subject.String(), errors.Join(errs...))}
}

func (c *CRLChecker) get(url string, issuer *x509.Certificate) (*crlEntry, error) {
	c.mu.Lock()
	e := c.entries[url]
	if e == nil {
		e = &crlEntry{}
		c.entries[url] = e
	}
	c.mu.Unlock()

	e.mu.Lock()
	defer e.mu.Unlock()
	now := c.now()
	if e.list == nil || !now.Before(e.expires) {
		list, err := c.fetch(url)
		if err != nil {
			return nil, err
		}
		if !list.NextUpdate.IsZero() && !now.Before(list.NextUpdate) {
			return nil, fmt.Errorf("CRL %s is out of date (next update was %s)", url, list.NextUpdate.Format(time.RFC3339))
		}
		e.list = list
		e.revoked = make(map[string]struct{}, len(list.RevokedCertificateEntries))
		for _, r := range list.RevokedCertificateEntries {
			e.revoked[r.SerialNumber.String()] = struct{}{}
		}
		e.expires = list.NextUpdate
		if e.expires.IsZero() {
			e.expires = now.Add(c.defaultTTL)
		}
	}
	// The signature is checked on every use, not only on fetch: the same
	// URL could be named by certificates of different issuers.
	if !bytes.Equal(e.list.RawIssuer, issuer.RawSubject) {
		return nil, fmt.Errorf("CRL %s was not issued by %q", url, issuer.Subject.String())
	}
	if err := e.list.CheckSignatureFrom(issuer); err != nil {
		return nil, fmt.Errorf("CRL %s: bad signature: %w", url, err)
	}
	return e, nil
}

func (c *CRLChecker) fetch(url string) (*x509.RevocationList, error) {
	// The TLS handshake that needs this CRL has no context of its own; the
	// client's timeout bounds the fetch instead.
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("CRL %s: %w", url, err)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch CRL: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch CRL %s: HTTP %d", url, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.maxSize+1))
	if err != nil {
		return nil, fmt.Errorf("fetch CRL %s: %w", url, err)
	}
	if int64(len(body)) > c.maxSize {
		return nil, fmt.Errorf("fetch CRL %s: larger than %d bytes", url, c.maxSize)
	}
	if block, _ := pem.Decode(body); block != nil && block.Type == "X509 CRL" {
		body = block.Bytes
	}
	list, err := x509.ParseRevocationList(body)
	if err != nil {
		return nil, fmt.Errorf("parse CRL %s: %w", url, err)
	}
	return list, nil
}

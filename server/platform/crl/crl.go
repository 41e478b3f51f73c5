// Package crl checks certificate chains against their CRLs with the common
// rule of SPEC SV-12: when CRL checking is on, a connection is refused if
// any certificate of the chain (the root excepted) is revoked, has no CRL
// distribution point, has only non-HTTP distribution points, or its CRL
// cannot be fetched or verified.
package crl

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// maxCRLBytes bounds one downloaded CRL.
const maxCRLBytes = 16 << 20

// Checker fetches CRLs over HTTP.
type Checker struct {
	Client *http.Client
	Now    func() time.Time
}

// VerifyConnection returns a tls.Config.VerifyConnection hook that checks
// the verified chain of a handshake. It bounds the whole check by timeout.
func (c Checker) VerifyConnection(timeout time.Duration) func(tls.ConnectionState) error {
	return func(cs tls.ConnectionState) error {
		if len(cs.VerifiedChains) == 0 {
			return errors.New("crl: no verified chain to check")
		}
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		return c.Check(ctx, cs.VerifiedChains[0])
	}
}

// Check checks every certificate of chain (leaf first) except the last,
// whose issuer is the next one.
func (c Checker) Check(ctx context.Context, chain []*x509.Certificate) error {
	for i := 0; i+1 < len(chain); i++ {
		if err := c.checkOne(ctx, chain[i], chain[i+1]); err != nil {
			return fmt.Errorf("crl: certificate %q: %w", chain[i].Subject.CommonName, err)
		}
	}
	return nil
}

func (c Checker) checkOne(ctx context.Context, cert, issuer *x509.Certificate) error {
	var urls []string
	for _, u := range cert.CRLDistributionPoints {
		if strings.HasPrefix(strings.ToLower(u), "http://") {
			urls = append(urls, u)
		}
	}
	switch {
	case len(cert.CRLDistributionPoints) == 0:
		return errors.New("has no CRL distribution point")
	case len(urls) == 0:
		return errors.New("has no HTTP CRL distribution point (only HTTP is supported)")
	}
	var lastErr error
	for _, u := range urls {
		list, err := c.fetch(ctx, u)
		if err != nil {
			lastErr = err
			continue
		}
		if err := list.CheckSignatureFrom(issuer); err != nil {
			lastErr = fmt.Errorf("CRL %s is not signed by the issuer: %w", u, err)
			continue
		}
		for _, r := range list.RevokedCertificateEntries {
			if r.SerialNumber.Cmp(cert.SerialNumber) == 0 {
				return errors.New("is revoked")
			}
		}
		return nil
	}
	return lastErr
}

func (c Checker) fetch(ctx context.Context, url string) (*x509.RevocationList, error) {
	client := c.Client
	if client == nil {
		client = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	res, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("cannot fetch CRL %s: %w", url, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("cannot fetch CRL %s: HTTP %d", url, res.StatusCode)
	}
	b, err := io.ReadAll(io.LimitReader(res.Body, maxCRLBytes))
	if err != nil {
		return nil, fmt.Errorf("cannot fetch CRL %s: %w", url, err)
	}
	if block, _ := pem.Decode(b); block != nil {
		b = block.Bytes
	}
	list, err := x509.ParseRevocationList(b)
	if err != nil {
		return nil, fmt.Errorf("CRL %s is not valid: %w", url, err)
	}
	return list, nil
}

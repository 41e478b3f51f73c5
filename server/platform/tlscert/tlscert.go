// Package tlscert provides the server's own TLS certificate: the files the
// administrator configured, or else a self-signed certificate generated into
// the data directory on first start (and reused after), so that HTTPS works
// out of the box and the browser's warning is the only hurdle.
package tlscert

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// Paths of the generated certificate inside the data directory.
const (
	CertFile = "tls/server.crt"
	KeyFile  = "tls/server.key"
)

// Load returns the certificate at certPath/keyPath, or, when both are empty,
// the self-signed certificate in dataDir, generating it if missing.
func Load(certPath, keyPath, dataDir string, now time.Time) (tls.Certificate, error) {
	if certPath == "" && keyPath == "" {
		certPath, keyPath = filepath.Join(dataDir, CertFile), filepath.Join(dataDir, KeyFile)
		if _, err := os.Stat(certPath); errors.Is(err, os.ErrNotExist) {
			if err := generate(certPath, keyPath, now); err != nil {
				return tls.Certificate{}, fmt.Errorf("generate self-signed certificate: %w", err)
			}
		}
	}
	cert, err := tls.LoadX509KeyPair(certPath, keyPath)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("load TLS certificate %s: %w", certPath, err)
	}
	return cert, nil
}

func generate(certPath, keyPath string, now time.Time) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return err
	}
	host, _ := os.Hostname()
	names := []string{"localhost"}
	if host != "" && host != "localhost" {
		names = append(names, host)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "Switchboard self-signed", Organization: []string{"Switchboard"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(2, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		DNSNames:              names,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(certPath), 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return err
	}
	return os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
}

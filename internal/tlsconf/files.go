package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
)

type tlsCert = tls.Certificate

// readFile reads a file of the config key, naming both when it fails.
func readFile(prefix, key, path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: tls: %w (tls.%s)", prefix, err, key)
	}
	return b, nil
}

// loadKeyPair reads a certificate chain and its private key.
func loadKeyPair(prefix, certKey, certFile, keyKey, keyFile string) (*tls.Certificate, error) {
	certPEM, err := readFile(prefix, certKey, certFile)
	if err != nil {
		return nil, err
	}
	keyPEM, err := readFile(prefix, keyKey, keyFile)
	if err != nil {
		return nil, err
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("%s: tls: tls.%s %s and tls.%s %s: %w", prefix, certKey, certFile, keyKey, keyFile, err)
	}
	return &cert, nil
}

// loadPool reads a bundle of PEM CA certificates.
func loadPool(prefix, key, path string) (*x509.CertPool, error) {
	b, err := readFile(prefix, key, path)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("%s: tls: tls.%s %s holds no PEM certificate", prefix, key, path)
	}
	return pool, nil
}

// pairFiles checks that a certificate and its key come together.
func pairFiles(prefix, certKey, certFile, keyKey, keyFile string) error {
	if (certFile == "") != (keyFile == "") {
		return fmt.Errorf("%s: tls needs both tls.%s and tls.%s (got %s=%q %s=%q)", prefix, certKey, keyKey, certKey, certFile, keyKey, keyFile)
	}
	return nil
}

package email

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// certs are a CA and a certificate it signed for 127.0.0.1 and localhost,
// as PEM files.
type certs struct{ ca, cert, key string }

func makeCerts(t *testing.T) certs {
	t.Helper()
	dir := t.TempDir()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "gox test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	c := certs{ca: filepath.Join(dir, "ca.pem"), cert: filepath.Join(dir, "cert.pem"), key: filepath.Join(dir, "key.pem")}
	writePEM(t, c.ca, "CERTIFICATE", caDER)
	writePEM(t, c.cert, "CERTIFICATE", der)
	writePEM(t, c.key, "PRIVATE KEY", keyDER)
	return c
}

func writePEM(t *testing.T, file, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// authFile is a Mailpit password file (htpasswd, {SHA}) with one user.
func authFile(t *testing.T, user, password string) string {
	t.Helper()
	sum := sha1.Sum([]byte(password))
	f := filepath.Join(t.TempDir(), "smtp-auth")
	if err := os.WriteFile(f, []byte(user+":{SHA}"+base64.StdEncoding.EncodeToString(sum[:])+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestSTARTTLSAndTLSWithAuthentication(t *testing.T) {
	c := makeCerts(t)
	auth := authFile(t, "alerts", "s3cret")
	tlsArgs := []string{"--smtp-tls-cert", c.cert, "--smtp-tls-key", c.key, "--smtp-auth-file", auth}
	for _, tc := range []struct {
		name, flag, tls, auth string
	}{
		{"starttls plain", "--smtp-require-starttls", TLSStartTLS, AuthPlain},
		{"starttls login", "--smtp-require-starttls", TLSStartTLS, AuthLogin},
		{"opportunistic plain", "--smtp-require-starttls", TLSOpportunistic, AuthPlain},
		{"implicit login", "--smtp-require-tls", TLSImplicit, AuthLogin},
		{"implicit plain", "--smtp-require-tls", TLSImplicit, AuthPlain},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mp := startMailpit(t, append(tlsArgs, tc.flag)...)
			to := inbox(t)
			cfg := testConfig(mp, to)
			cfg.SMTP.TLS, cfg.SMTP.CAFile = tc.tls, c.ca
			cfg.SMTP.Auth, cfg.SMTP.Username, cfg.SMTP.Password = tc.auth, "alerts", "s3cret"
			rep := newReporter(t, cfg, noTick)
			if err := rep.Report(context.Background(), failure("GET /tls", 500)); err != nil {
				t.Fatal(err)
			}
			if m := mp.messages(t, to, 1)[0]; !strings.Contains(m.Subject, "GET /tls") {
				t.Errorf("subject %q", m.Subject)
			}
		})
	}

	// What must not get through: each fails with an error saying why.
	starttls := startMailpit(t, append(tlsArgs, "--smtp-require-starttls")...)
	implicit := startMailpit(t, append(tlsArgs, "--smtp-require-tls")...)
	for _, tc := range []struct {
		name string
		mp   mailpit
		edit func(*Config)
		want string
	}{
		{"wrong password", starttls, func(c *Config) { c.SMTP.Password = "guess" }, "535"},
		{"untrusted certificate", starttls, func(c *Config) { c.SMTP.CAFile = "" }, "certificate"},
		{"certificate for another name", starttls, func(c *Config) { c.SMTP.ServerName = "mail.example.com" }, "mail.example.com"},
		{"plain text to a server that requires STARTTLS", starttls, func(c *Config) { c.SMTP.TLS, c.SMTP.Auth = TLSNone, AuthNone }, "STARTTLS"},
		{"STARTTLS to an implicit TLS port", implicit, func(c *Config) { c.SMTP.TLS = TLSStartTLS }, "email: sending to"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(tc.mp, inbox(t))
			cfg.SMTP.TLS, cfg.SMTP.CAFile, cfg.SMTP.Timeout = TLSStartTLS, c.ca, 2*time.Second
			cfg.SMTP.Auth, cfg.SMTP.Username, cfg.SMTP.Password = AuthPlain, "alerts", "s3cret"
			tc.edit(&cfg)
			rep := newReporter(t, cfg, noTick, WithLogger(newLogger(io.Discard)))
			err := rep.Report(context.Background(), failure("GET /tls", 500))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("the error shows the password: %v", err)
			}
		})
	}
}

// TestOpportunisticFallsBackToClearText: a server that offers no STARTTLS
// still gets the email with tls: opportunistic, and not with starttls.
func TestOpportunisticFallsBackToClearText(t *testing.T) {
	mp := sharedMailpit(t)
	to := inbox(t)
	cfg := testConfig(mp, to)
	cfg.SMTP.TLS = TLSOpportunistic
	rep := newReporter(t, cfg, noTick)
	if err := rep.Report(context.Background(), failure("GET /clear", 500)); err != nil {
		t.Fatal(err)
	}
	mp.messages(t, to, 1)

	cfg.SMTP.TLS = TLSStartTLS
	rep = newReporter(t, cfg, noTick, WithLogger(newLogger(io.Discard)))
	if err := rep.Report(context.Background(), failure("GET /clear", 500)); err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Fatalf("starttls to a server without it: %v, want an error saying STARTTLS", err)
	}
}

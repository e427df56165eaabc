package tlsconf

import (
	"bytes"
	"crypto/tls"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goxkit/gox/internal/tlsconf/tlstest"
)

// clock is a fake clock the tests move by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// syncBuffer is a log sink safe for the handshakes' goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func testOptions() (Options, *clock, *syncBuffer) {
	c := &clock{now: time.Unix(1_700_000_000, 0)}
	logs := &syncBuffer{}
	return Options{Now: c.Now, Logger: slog.New(slog.NewTextHandler(logs, nil))}, c, logs
}

// handshake connects a client with cc to a server with sc over a pipe and
// returns the serial of the leaf the server showed, or the client's error.
func handshake(t *testing.T, sc, cc *tls.Config) (string, error) {
	t.Helper()
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	done := make(chan error, 1)
	go func() {
		s := tls.Server(a, sc)
		err := s.Handshake()
		if err == nil {
			// TLS 1.3 clients learn of a refused certificate on the first read
			_, err = s.Write([]byte{1})
		}
		done <- err
		_ = a.Close()
	}()
	c := tls.Client(b, cc)
	err := c.Handshake()
	if err == nil {
		_, err = c.Read(make([]byte, 1))
	}
	_ = b.Close()
	<-done
	if err != nil {
		return "", err
	}
	return c.ConnectionState().PeerCertificates[0].SerialNumber.String(), nil
}

func clientFor(ca *tlstest.CA, certs ...tls.Certificate) *tls.Config {
	return &tls.Config{RootCAs: ca.Pool(), ServerName: "localhost", Certificates: certs}
}

func TestServerStartRefusesBadFiles(t *testing.T) {
	dir := t.TempDir()
	ca := tlstest.NewCA(t, "ca")
	f := tlstest.Write(t, dir, ca, ca.Issue(t, 2, "server"))
	other := ca.Issue(t, 3, "other")
	otherKey := filepath.Join(dir, "other.key")
	tlstest.Replace(t, otherKey, other.KeyPEM)
	garbage := filepath.Join(dir, "garbage.pem")
	tlstest.Replace(t, garbage, []byte("not pem"))
	missing := filepath.Join(dir, "missing.crt")
	unreadable := filepath.Join(dir, "unreadable.crt")
	tlstest.Replace(t, unreadable, other.CertPEM)
	if err := os.Chmod(unreadable, 0); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		files ServerFiles
		want  []string
	}{
		{"cert missing", ServerFiles{CertFile: missing, KeyFile: f.Key}, []string{missing, "tls.cert_file", "no such file"}},
		{"key missing", ServerFiles{CertFile: f.Cert, KeyFile: missing}, []string{missing, "tls.key_file"}},
		{"key alone", ServerFiles{KeyFile: f.Key}, []string{"tls.cert_file", "tls.key_file"}},
		{"mismatch", ServerFiles{CertFile: f.Cert, KeyFile: otherKey}, []string{f.Cert, otherKey, "does not match"}},
		{"not pem", ServerFiles{CertFile: garbage, KeyFile: f.Key}, []string{garbage, "tls.cert_file"}},
		{"client ca missing", ServerFiles{CertFile: f.Cert, KeyFile: f.Key, ClientCAFile: missing}, []string{missing, "tls.client_ca_file"}},
		{"client ca not pem", ServerFiles{CertFile: f.Cert, KeyFile: f.Key, ClientCAFile: garbage}, []string{garbage, "tls.client_ca_file", "no PEM certificate"}},
		{"client auth unknown", ServerFiles{CertFile: f.Cert, KeyFile: f.Key, ClientAuth: "yes"}, []string{`tls.client_auth "yes"`, "require_and_verify"}},
		{"verify without ca", ServerFiles{CertFile: f.Cert, KeyFile: f.Key, ClientAuth: "require_and_verify"}, []string{"tls.client_ca_file"}},
		{"ca with none", ServerFiles{CertFile: f.Cert, KeyFile: f.Key, ClientCAFile: f.CA, ClientAuth: "none"}, []string{"would not be used"}},
		{"ca without cert", ServerFiles{ClientCAFile: f.CA}, []string{"tls.cert_file"}},
		{"min version", ServerFiles{CertFile: f.Cert, KeyFile: f.Key, MinVersion: "1.0"}, []string{`tls.min_version "1.0"`}},
	}
	if os.Geteuid() != 0 { // root reads any file
		tests = append(tests, struct {
			name  string
			files ServerFiles
			want  []string
		}{"unreadable", ServerFiles{CertFile: unreadable, KeyFile: f.Key}, []string{unreadable, "permission denied"}})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := NewServer("http server on :8443", tt.files, Options{})
			if err == nil {
				t.Fatalf("NewServer = %v, want an error", s)
			}
			for _, w := range append(tt.want, "http server on :8443") {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestServerNoFilesNoTLS(t *testing.T) {
	s, err := NewServer("x", ServerFiles{MinVersion: "1.3"}, Options{})
	if s != nil || err != nil {
		t.Fatalf("NewServer = %v, %v; want nil, nil", s, err)
	}
}

// rotations are the ways a certificate file is replaced.
var rotations = map[string]func(t *testing.T, f tlstest.Files, ca *tlstest.CA, l tlstest.Leaf){
	"rename": func(t *testing.T, f tlstest.Files, ca *tlstest.CA, l tlstest.Leaf) { tlstest.Write(t, f.Dir, ca, l) },
	"in place": func(t *testing.T, f tlstest.Files, ca *tlstest.CA, l tlstest.Leaf) {
		for path, data := range map[string][]byte{f.Cert: l.CertPEM, f.Key: l.KeyPEM} {
			if err := os.WriteFile(path, data, 0o600); err != nil {
				t.Fatal(err)
			}
		}
	},
	"symlink swap": func(t *testing.T, f tlstest.Files, ca *tlstest.CA, l tlstest.Leaf) { secretVolume(t, f.Dir, ca, l) },
}

// secretVolume lays out dir as kubelet does a Secret volume — tls.crt ->
// ..data/tls.crt, ..data -> ..<version> — or, when it is laid out, swaps
// ..data to a new version atomically, as kubelet does on an update.
func secretVolume(t *testing.T, dir string, ca *tlstest.CA, l tlstest.Leaf) tlstest.Files {
	t.Helper()
	version, err := os.MkdirTemp(dir, "..v")
	if err != nil {
		t.Fatal(err)
	}
	tlstest.Write(t, version, ca, l)
	tmp := filepath.Join(dir, "..data_tmp")
	if err := os.Symlink(filepath.Base(version), tmp); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"tls.crt", "tls.key", "ca.crt"} {
		link := filepath.Join(dir, name)
		if _, err := os.Lstat(link); err != nil {
			if err := os.Symlink(filepath.Join("..data", name), link); err != nil {
				t.Fatal(err)
			}
		}
	}
	return tlstest.Files{Dir: dir, Cert: filepath.Join(dir, "tls.crt"), Key: filepath.Join(dir, "tls.key"), CA: filepath.Join(dir, "ca.crt")}
}

func TestServerReloadsTheCertificate(t *testing.T) {
	for name, rotate := range rotations {
		t.Run(name, func(t *testing.T) {
			ca := tlstest.NewCA(t, "ca")
			dir := t.TempDir()
			var f tlstest.Files
			if name == "symlink swap" {
				f = secretVolume(t, dir, ca, ca.Issue(t, 100, "server"))
			} else {
				f = tlstest.Write(t, dir, ca, ca.Issue(t, 100, "server"))
			}
			opts, clk, logs := testOptions()
			s, err := NewServer("test", ServerFiles{CertFile: f.Cert, KeyFile: f.Key}, opts)
			if err != nil {
				t.Fatal(err)
			}
			if got, err := handshake(t, s.Config(), clientFor(ca)); err != nil || got != "100" {
				t.Fatalf("first handshake: serial %s, %v; want 100", got, err)
			}
			rotate(t, f, ca, ca.Issue(t, 101, "server"))
			if got, _ := handshake(t, s.Config(), clientFor(ca)); got != "100" {
				t.Fatalf("handshake before a check is due: serial %s, want 100 (checked at most once a second)", got)
			}
			clk.Add(DefaultCheckEvery)
			if got, err := handshake(t, s.Config(), clientFor(ca)); err != nil || got != "101" {
				t.Fatalf("handshake after the rotation: serial %s, %v; want 101\nlogs: %s", got, err, logs)
			}
			if !strings.Contains(logs.String(), "tls: reloaded") || !strings.Contains(logs.String(), "serial=101") {
				t.Errorf("no reload logged: %s", logs)
			}
		})
	}
}

func TestServerKeepsTheCertificateWhenReloadFails(t *testing.T) {
	ca := tlstest.NewCA(t, "ca")
	f := tlstest.Write(t, t.TempDir(), ca, ca.Issue(t, 7, "server"))
	opts, clk, logs := testOptions()
	s, err := NewServer("test", ServerFiles{CertFile: f.Cert, KeyFile: f.Key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	next := ca.Issue(t, 8, "server")
	tlstest.Replace(t, f.Cert, next.CertPEM) // the key comes later: a mismatched pair for now
	for i := range 3 {
		clk.Add(DefaultCheckEvery)
		if got, err := handshake(t, s.Config(), clientFor(ca)); err != nil || got != "7" {
			t.Fatalf("handshake %d with a mismatched pair on disk: serial %s, %v; want the previous 7", i, got, err)
		}
	}
	if n := strings.Count(logs.String(), "do not load"); n != 1 {
		t.Errorf("failed reload logged %d times, want once:\n%s", n, logs)
	}
	if !strings.Contains(logs.String(), "does not match") {
		t.Errorf("log does not say why: %s", logs)
	}
	tlstest.Replace(t, f.Key, next.KeyPEM)
	clk.Add(DefaultCheckEvery)
	if got, err := handshake(t, s.Config(), clientFor(ca)); err != nil || got != "8" {
		t.Fatalf("handshake once the key came: serial %s, %v; want 8", got, err)
	}
	os.Remove(f.Cert) // deleted: keep serving what was loaded
	clk.Add(DefaultCheckEvery)
	if got, err := handshake(t, s.Config(), clientFor(ca)); err != nil || got != "8" {
		t.Fatalf("handshake with the file gone: serial %s, %v; want 8", got, err)
	}
}

func TestServerMutualTLS(t *testing.T) {
	ca := tlstest.NewCA(t, "ca")
	clientCA := tlstest.NewCA(t, "client ca")
	stranger := tlstest.NewCA(t, "stranger")
	dir := t.TempDir()
	f := tlstest.Write(t, dir, ca, ca.Issue(t, 1, "server"))
	tlstest.Replace(t, f.CA, clientCA.PEM)
	opts, clk, _ := testOptions()
	s, err := NewServer("test", ServerFiles{CertFile: f.Cert, KeyFile: f.Key, ClientCAFile: f.CA}, opts)
	if err != nil {
		t.Fatal(err)
	}
	good := clientCA.Issue(t, 10, "alice").Pair(t)
	wrong := stranger.Issue(t, 11, "mallory").Pair(t)
	if _, err := handshake(t, s.Config(), clientFor(ca)); err == nil {
		t.Error("a client with no certificate was let in")
	}
	if _, err := handshake(t, s.Config(), clientFor(ca, wrong)); err == nil {
		t.Error("a client with a certificate of another CA was let in")
	}
	if _, err := handshake(t, s.Config(), clientFor(ca, good)); err != nil {
		t.Errorf("a client with a right certificate was refused: %v", err)
	}
	// the client CA rotates to the stranger: its clients are let in, the old ones not
	tlstest.Replace(t, f.CA, stranger.PEM)
	clk.Add(DefaultCheckEvery)
	if _, err := handshake(t, s.Config(), clientFor(ca, wrong)); err != nil {
		t.Errorf("after the client CA changed, its client was refused: %v", err)
	}
	if _, err := handshake(t, s.Config(), clientFor(ca, good)); err == nil {
		t.Error("after the client CA changed, a client of the old one was let in")
	}
}

func TestServerMinVersion(t *testing.T) {
	ca := tlstest.NewCA(t, "ca")
	f := tlstest.Write(t, t.TempDir(), ca, ca.Issue(t, 1, "server"))
	s, err := NewServer("test", ServerFiles{CertFile: f.Cert, KeyFile: f.Key, MinVersion: "1.3"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	old := clientFor(ca)
	old.MaxVersion = tls.VersionTLS12
	if _, err := handshake(t, s.Config(), old); err == nil {
		t.Error("a TLS 1.2 client was let in with min_version 1.3")
	}
	if _, err := handshake(t, s.Config(), clientFor(ca)); err != nil {
		t.Errorf("a TLS 1.3 client was refused: %v", err)
	}
}

func TestClientReloadsCAAndCertificate(t *testing.T) {
	ca := tlstest.NewCA(t, "ca")
	next := tlstest.NewCA(t, "next ca")
	dir := t.TempDir()
	f := tlstest.Write(t, dir, ca, ca.Issue(t, 20, "client"))
	opts, clk, _ := testOptions()
	c, err := NewClient("test client", ClientFiles{CAFile: f.CA, CertFile: f.Cert, KeyFile: f.Key, ServerName: "localhost"}, opts)
	if err != nil {
		t.Fatal(err)
	}
	serve := func(ca *tlstest.CA, serial int64) *tls.Config {
		return &tls.Config{Certificates: []tls.Certificate{ca.Issue(t, serial, "server").Pair(t)}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: ca.Pool()}
	}
	if got, err := handshake(t, serve(ca, 1), c.Config()); err != nil || got != "1" {
		t.Fatalf("client: %s, %v", got, err)
	}
	tlstest.Write(t, dir, next, next.Issue(t, 21, "client"))
	clk.Add(DefaultCheckEvery)
	if _, err := handshake(t, serve(ca, 2), c.Config()); err == nil {
		t.Error("after the CA file changed, the client still trusts the old CA")
	}
	if got, err := handshake(t, serve(next, 3), c.Config()); err != nil || got != "3" {
		t.Errorf("after the rotation, a server of the new CA (asking for a certificate of it): %s, %v", got, err)
	}
}

func TestClientRefusesBadFiles(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "nope.pem")
	for _, tt := range []struct {
		files ClientFiles
		want  string
	}{
		{ClientFiles{CAFile: missing}, "tls.ca_file"},
		{ClientFiles{CertFile: missing, KeyFile: missing}, "tls.cert_file"},
		{ClientFiles{CertFile: missing}, "tls.key_file"},
		{ClientFiles{MinVersion: "TLS1.3"}, "tls.min_version"},
	} {
		if _, err := NewClient("grpc client", tt.files, Options{}); err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "grpc client") {
			t.Errorf("NewClient(%+v) = %v, want an error naming %s", tt.files, err, tt.want)
		}
	}
}

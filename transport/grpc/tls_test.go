package grpc_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/peer"

	"github.com/goxkit/gox/goxtest"
	"github.com/goxkit/gox/internal/tlsconf/tlstest"
	xgrpc "github.com/goxkit/gox/transport/grpc"
)

// serveTLS serves the health service over TLS with the files of tc on a
// free loopback port and returns the address.
func serveTLS(t *testing.T, tc xgrpc.TLSConfig) string {
	t.Helper()
	c := xgrpc.DefaultConfig()
	c.Addr, c.TLS = "127.0.0.1:0", tc
	s, err := xgrpc.NewServer(c)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Endpoint(); err != nil {
		t.Fatal(err)
	}
	goxtest.Serve(t, s)
	return s.Addr()
}

// check calls the health service on a new connection made with creds and
// returns the serial of the server's leaf.
func check(t *testing.T, addr string, creds credentials.TransportCredentials) (int64, error) {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(creds))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	return checkConn(conn)
}

func checkConn(conn *grpc.ClientConn) (int64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var p peer.Peer
	r, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{}, grpc.Peer(&p))
	if err != nil {
		return 0, err
	}
	if r.Status != healthpb.HealthCheckResponse_SERVING {
		return 0, fmt.Errorf("health: %v", r.Status)
	}
	return p.AuthInfo.(credentials.TLSInfo).State.PeerCertificates[0].SerialNumber.Int64(), nil
}

func grpcCreds(ca *tlstest.CA, certs ...tls.Certificate) credentials.TransportCredentials {
	return credentials.NewTLS(&tls.Config{RootCAs: ca.Pool(), Certificates: certs})
}

func TestTLSServesGRPCGoClient(t *testing.T) {
	ca := tlstest.NewCA(t, "ca")
	f := tlstest.Write(t, t.TempDir(), ca, ca.Issue(t, 42, "server"))
	addr := serveTLS(t, xgrpc.TLSConfig{CertFile: f.Cert, KeyFile: f.Key, MinVersion: "1.3"})
	if got, err := check(t, addr, grpcCreds(ca)); err != nil || got != 42 {
		t.Fatalf("health check over TLS: serial %d, %v; want 42", got, err)
	}
	if _, err := check(t, addr, grpcCreds(tlstest.NewCA(t, "other"))); err == nil {
		t.Error("a client that does not trust the CA was served")
	}
}

func TestTLSMutual(t *testing.T) {
	ca := tlstest.NewCA(t, "ca")
	stranger := tlstest.NewCA(t, "stranger")
	dir := t.TempDir()
	f := tlstest.Write(t, dir, ca, ca.Issue(t, 1, "server"))
	addr := serveTLS(t, xgrpc.TLSConfig{CertFile: f.Cert, KeyFile: f.Key, ClientCAFile: f.CA})

	t.Run("grpc-go client", func(t *testing.T) {
		if _, err := check(t, addr, grpcCreds(ca)); err == nil {
			t.Error("a client with no certificate was served")
		}
		if _, err := check(t, addr, grpcCreds(ca, stranger.Issue(t, 2, "mallory").Pair(t))); err == nil {
			t.Error("a client with a certificate of another CA was served")
		}
		if _, err := check(t, addr, grpcCreds(ca, ca.Issue(t, 3, "alice").Pair(t))); err != nil {
			t.Errorf("a client with a right certificate: %v", err)
		}
	})
	t.Run("gox client", func(t *testing.T) {
		cf := tlstest.Write(t, t.TempDir(), ca, ca.Issue(t, 4, "alice"))
		call := func(tc xgrpc.ClientTLSConfig) error {
			conn, err := xgrpc.Dial(addr, xgrpc.WithTLSFiles(tc))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			_, err = checkConn(conn)
			return err
		}
		if err := call(xgrpc.ClientTLSConfig{CAFile: cf.CA}); err == nil {
			t.Error("a gox client with no certificate was served")
		}
		if err := call(xgrpc.ClientTLSConfig{CAFile: cf.CA, CertFile: cf.Cert, KeyFile: cf.Key}); err != nil {
			t.Errorf("a gox client with a right certificate: %v", err)
		}
		if err := call(xgrpc.ClientTLSConfig{CAFile: cf.CA, CertFile: cf.Cert, KeyFile: cf.Key, ServerName: "localhost"}); err != nil {
			t.Errorf("a gox client with server_name localhost: %v", err)
		}
		if err := call(xgrpc.ClientTLSConfig{CAFile: cf.CA, CertFile: cf.Cert, KeyFile: cf.Key, ServerName: "elsewhere.example"}); err == nil {
			t.Error("a gox client accepted a certificate without its server_name")
		}
	})
}

func TestTLSServesTheRotatedCertificate(t *testing.T) {
	ca := tlstest.NewCA(t, "ca")
	dir := t.TempDir()
	f := tlstest.Write(t, dir, ca, ca.Issue(t, 100, "server"))
	addr := serveTLS(t, xgrpc.TLSConfig{CertFile: f.Cert, KeyFile: f.Key})
	if got, err := check(t, addr, grpcCreds(ca)); err != nil || got != 100 {
		t.Fatalf("before the rotation: serial %d, %v; want 100", got, err)
	}
	tlstest.Write(t, dir, ca, ca.Issue(t, 101, "server"))
	// the server checks its files at most once a second: poll new connections
	deadline := time.Now().Add(5 * time.Second)
	var got int64
	for time.Now().Before(deadline) {
		var err error
		if got, err = check(t, addr, grpcCreds(ca)); err != nil {
			t.Fatal(err)
		}
		if got == 101 {
			return
		}
		time.Sleep(20 * time.Millisecond) // a poll's pace, not a wait for time
	}
	t.Fatalf("served serial %d, want 101 within 5s of the rotation", got)
}

func TestTLSStartRefusesBadFiles(t *testing.T) {
	ca := tlstest.NewCA(t, "ca")
	dir := t.TempDir()
	f := tlstest.Write(t, dir, ca, ca.Issue(t, 1, "server"))
	otherKey := filepath.Join(dir, "other.key")
	tlstest.Replace(t, otherKey, ca.Issue(t, 2, "other").KeyPEM)
	missing := filepath.Join(dir, "missing.crt")
	for _, tt := range []struct {
		tls  xgrpc.TLSConfig
		want []string
	}{
		{xgrpc.TLSConfig{CertFile: missing, KeyFile: f.Key}, []string{"grpc server on :9090", missing, "tls.cert_file"}},
		{xgrpc.TLSConfig{CertFile: f.Cert, KeyFile: otherKey}, []string{f.Cert, otherKey, "does not match"}},
		{xgrpc.TLSConfig{CertFile: f.Cert}, []string{"tls.key_file"}},
	} {
		c := xgrpc.DefaultConfig()
		c.TLS = tt.tls
		_, err := xgrpc.NewServer(c)
		for _, w := range tt.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("NewServer(%+v) = %v, want an error mentioning %q", tt.tls, err, w)
			}
		}
	}
	if _, err := xgrpc.Dial("127.0.0.1:1", xgrpc.WithTLSFiles(xgrpc.ClientTLSConfig{CAFile: f.CA, CertFile: missing, KeyFile: f.Key})); err == nil ||
		!strings.Contains(err.Error(), missing) || !strings.Contains(err.Error(), "grpc client") {
		t.Errorf("Dial with a missing certificate: %v, want an error naming the file", err)
	}
}

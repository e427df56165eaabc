package http_test

import (
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/goxkit/gox/internal/tlsconf/tlstest"
	xhttp "github.com/goxkit/gox/transport/http"
)

// serveTLS serves the default routes over TLS with the files of tc on a
// free loopback port and returns the https URL.
func serveTLS(t *testing.T, tc xhttp.TLSConfig) string {
	t.Helper()
	c := xhttp.DefaultConfig()
	c.Addr, c.TLS = "127.0.0.1:0", tc
	s, err := xhttp.NewServer(c)
	if err != nil {
		t.Fatal(err)
	}
	return start(t, s)
}

// stdClient is net/http's client trusting ca, showing certs.
func stdClient(t *testing.T, ca *tlstest.CA, certs ...tls.Certificate) *http.Client {
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool(), Certificates: certs}, ForceAttemptHTTP2: true, DisableKeepAlives: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

func get(c *http.Client, url string) (*http.Response, string, error) {
	resp, err := c.Get(url)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, string(b), err
}

func TestHTTPSServesWithNetHTTPClient(t *testing.T) {
	ca := tlstest.NewCA(t, "ca")
	f := tlstest.Write(t, t.TempDir(), ca, ca.Issue(t, 42, "server"))
	base := serveTLS(t, xhttp.TLSConfig{CertFile: f.Cert, KeyFile: f.Key})
	if !strings.HasPrefix(base, "https://") {
		t.Fatalf("endpoint %s is not https", base)
	}
	resp, _, err := get(stdClient(t, ca), base+xhttp.PathPing)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.ProtoMajor != 2 {
		t.Errorf("GET /ping: %d over %s, want 200 over HTTP/2", resp.StatusCode, resp.Proto)
	}
	if got := resp.TLS.PeerCertificates[0].SerialNumber.Int64(); got != 42 {
		t.Errorf("served serial %d, want 42", got)
	}
	if _, _, err := get(stdClient(t, tlstest.NewCA(t, "other")), base+xhttp.PathPing); err == nil {
		t.Error("a client that does not trust the CA connected")
	}
}

func TestHTTPSMutualTLS(t *testing.T) {
	ca := tlstest.NewCA(t, "ca")
	stranger := tlstest.NewCA(t, "stranger")
	dir := t.TempDir()
	f := tlstest.Write(t, dir, ca, ca.Issue(t, 1, "server"))
	base := serveTLS(t, xhttp.TLSConfig{CertFile: f.Cert, KeyFile: f.Key, ClientCAFile: f.CA})

	t.Run("net/http", func(t *testing.T) {
		if _, _, err := get(stdClient(t, ca), base+xhttp.PathPing); err == nil {
			t.Error("a client with no certificate was served")
		}
		if _, _, err := get(stdClient(t, ca, stranger.Issue(t, 2, "mallory").Pair(t)), base+xhttp.PathPing); err == nil {
			t.Error("a client with a certificate of another CA was served")
		}
		if resp, _, err := get(stdClient(t, ca, ca.Issue(t, 3, "alice").Pair(t)), base+xhttp.PathPing); err != nil || resp.StatusCode != 200 {
			t.Errorf("a client with a right certificate: %v %v", resp, err)
		}
	})
	t.Run("gox client", func(t *testing.T) {
		alice := ca.Issue(t, 4, "alice")
		cdir := t.TempDir()
		cf := tlstest.Write(t, cdir, ca, alice)
		call := func(tc xhttp.ClientTLSConfig) error {
			hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
			cl, err := xhttp.NewClient(base, xhttp.WithHTTPClient(hc), xhttp.WithTLSFiles(tc))
			if err != nil {
				t.Fatal(err)
			}
			defer cl.Close()
			return cl.Invoke(context.Background(), http.MethodGet, xhttp.PathPing, nil, nil)
		}
		if err := call(xhttp.ClientTLSConfig{CAFile: cf.CA}); err == nil {
			t.Error("a gox client with no certificate was served")
		}
		if err := call(xhttp.ClientTLSConfig{CAFile: cf.CA, CertFile: cf.Cert, KeyFile: cf.Key}); err != nil {
			t.Errorf("a gox client with a right certificate: %v", err)
		}
	})
}

// serialWithin polls new connections to base until the server shows the
// leaf want or the deadline passes; the server checks its files at most
// once a second.
func serialWithin(t *testing.T, c *http.Client, base string, want int64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	var got int64
	for time.Now().Before(deadline) {
		resp, _, err := get(c, base+xhttp.PathPing)
		if err != nil {
			t.Fatal(err)
		}
		if got = resp.TLS.PeerCertificates[0].SerialNumber.Int64(); got == want {
			return
		}
		time.Sleep(20 * time.Millisecond) // a poll's pace, not a wait for time
	}
	t.Fatalf("served serial %d, want %d within 5s of the rotation", got, want)
}

func TestHTTPSServesTheRotatedCertificate(t *testing.T) {
	ca := tlstest.NewCA(t, "ca")
	dir := t.TempDir()
	f := tlstest.Write(t, dir, ca, ca.Issue(t, 100, "server"))
	base := serveTLS(t, xhttp.TLSConfig{CertFile: f.Cert, KeyFile: f.Key})
	c := stdClient(t, ca)
	serialWithin(t, c, base, 100)
	tlstest.Write(t, dir, ca, ca.Issue(t, 101, "server"))
	serialWithin(t, c, base, 101)
}

func TestHTTPSStartRefusesBadFiles(t *testing.T) {
	ca := tlstest.NewCA(t, "ca")
	dir := t.TempDir()
	f := tlstest.Write(t, dir, ca, ca.Issue(t, 1, "server"))
	otherKey := filepath.Join(dir, "other.key")
	tlstest.Replace(t, otherKey, ca.Issue(t, 2, "other").KeyPEM)
	for _, tt := range []struct {
		tls  xhttp.TLSConfig
		want []string
	}{
		{xhttp.TLSConfig{CertFile: f.Cert, KeyFile: otherKey}, []string{f.Cert, otherKey, "tls.cert_file", "tls.key_file", "does not match"}},
		{xhttp.TLSConfig{CertFile: f.Cert, KeyFile: f.Key, ClientCAFile: filepath.Join(dir, "none.crt")}, []string{"none.crt", "tls.client_ca_file"}},
		{xhttp.TLSConfig{CertFile: f.Cert, KeyFile: f.Key, ClientAuth: "always"}, []string{`tls.client_auth "always"`}},
	} {
		c := xhttp.DefaultConfig()
		c.TLS = tt.tls
		_, err := xhttp.NewServer(c)
		for _, w := range tt.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("NewServer(%+v) = %v, want an error mentioning %q", tt.tls, err, w)
			}
		}
	}
	if _, err := xhttp.NewClient("https://127.0.0.1:1", xhttp.WithTLSFiles(xhttp.ClientTLSConfig{CAFile: filepath.Join(dir, "none.crt")})); err == nil ||
		!strings.Contains(err.Error(), "none.crt") || !strings.Contains(err.Error(), "tls.ca_file") {
		t.Errorf("NewClient with a missing CA file: %v, want an error naming the file and tls.ca_file", err)
	}
}

// curl, a client gox did not write, trusts the CA given with --cacert and
// shows a certificate with --cert and --key.
func TestHTTPSWithCurl(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("curl not on PATH, and CI is set: ci/tools.sh installs it (APT_NEEDS)")
		}
		t.Skip("curl not on PATH")
	}
	ca := tlstest.NewCA(t, "ca")
	dir := t.TempDir()
	f := tlstest.Write(t, dir, ca, ca.Issue(t, 1, "server"))
	client := ca.Issue(t, 2, "curl")
	ccert, ckey := filepath.Join(dir, "client.crt"), filepath.Join(dir, "client.key")
	tlstest.Replace(t, ccert, client.CertPEM)
	tlstest.Replace(t, ckey, client.KeyPEM)
	base := serveTLS(t, xhttp.TLSConfig{CertFile: f.Cert, KeyFile: f.Key, ClientCAFile: f.CA})
	run := func(args ...string) (string, error) {
		out, err := exec.Command(curl, append([]string{"-sS", "--max-time", "10", "--cacert", f.CA}, args...)...).CombinedOutput()
		return string(out), err
	}
	if out, err := run(base + xhttp.PathPing); err == nil {
		t.Errorf("curl with no client certificate was served: %s", out)
	}
	out, err := run("--cert", ccert, "--key", ckey, "-w", " %{http_code} %{http_version}", base+xhttp.PathPing)
	if err != nil || !strings.HasSuffix(out, " 200 2") {
		t.Errorf("curl with a client certificate: %q %v, want 200 over HTTP/2", out, err)
	}
}

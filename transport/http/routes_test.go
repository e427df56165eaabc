package http_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	xhttp "github.com/goxkit/gox/transport/http"
)

var exposition = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "up 1\n") })

// scrapeAs reads url with the given credentials ("basic", "bearer" or none)
// and returns the status, the challenge and the body.
func scrapeAs(t *testing.T, url, how, user, secret string) (int, string, string) {
	t.Helper()
	r, _ := http.NewRequest(http.MethodGet, url, nil)
	switch how {
	case "basic":
		r.SetBasicAuth(user, secret)
	case "bearer":
		r.Header.Set("Authorization", "Bearer "+secret)
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("WWW-Authenticate"), string(b)
}

func TestMetricsBehindCredentials(t *testing.T) {
	c := xhttp.DefaultConfig()
	c.Addr = "127.0.0.1:0"
	c.Metrics = xhttp.MetricsConfig{Username: "prom", Password: "s3cret", BearerToken: "t0ken"}
	s := newServer(t, c, xhttp.WithMetricsHandler(exposition))
	start(t, s)
	u, err := s.MetricsEndpoint()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, how, user, secret string
		code                    int
	}{
		{"no credentials", "", "", "", 401},
		{"basic", "basic", "prom", "s3cret", 200},
		{"wrong password", "basic", "prom", "s3creT", 401},
		{"wrong user", "basic", "Prom", "s3cret", 401},
		{"bearer", "bearer", "", "t0ken", 200},
		{"wrong token", "bearer", "", "t0ke", 401},
		{"the token as a basic password", "basic", "prom", "t0ken", 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, challenge, body := scrapeAs(t, u.String(), tt.how, tt.user, tt.secret)
			if code != tt.code {
				t.Fatalf("status %d, want %d: %s", code, tt.code, body)
			}
			if code == 200 && body != "up 1\n" {
				t.Fatalf("body %q", body)
			}
			if code == 401 {
				var env xhttp.Envelope
				if json.Unmarshal([]byte(body), &env) != nil || env.Reason != "UNAUTHORIZED" || challenge != `Basic realm="metrics", charset="UTF-8"` {
					t.Fatalf("401 with challenge %q body %s", challenge, body)
				}
			}
		})
	}
}

func TestMetricsOnTheirOwnListener(t *testing.T) {
	c := xhttp.DefaultConfig()
	c.Addr = "127.0.0.1:0"
	c.Metrics = xhttp.MetricsConfig{Addr: "127.0.0.1:0", BearerToken: "t0ken"}
	s := newServer(t, c, xhttp.WithMetricsHandler(exposition))
	base := start(t, s)
	u, err := s.MetricsEndpoint()
	if err != nil {
		t.Fatal(err)
	}
	if u.Host == s.Addr() {
		t.Fatalf("metrics on %s, the main listener", u)
	}
	if code, challenge, _ := scrapeAs(t, u.String(), "", "", ""); code != 401 || challenge != `Bearer realm="metrics"` {
		t.Fatalf("no token: %d %q", code, challenge)
	}
	if code, _, body := scrapeAs(t, u.String(), "bearer", "", "t0ken"); code != 200 || body != "up 1\n" {
		t.Fatalf("with the token: %d %q", code, body)
	}
	if code, _, _ := scrapeAs(t, base+xhttp.PathMetrics, "bearer", "", "t0ken"); code != 404 {
		t.Fatalf("/metrics on the main listener: %d, want 404", code)
	}
	if code, _, _ := scrapeAs(t, u.JoinPath("..", "ping").String(), "", "", ""); code != 404 {
		t.Fatalf("/ping on the metrics listener: %d, want 404", code)
	}
}

// The metrics listener's port in use fails Start, naming the address, and
// leaves the main listener closed.
func TestMetricsPortInUse(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	c := xhttp.DefaultConfig()
	c.Addr = "127.0.0.1:0"
	c.Metrics.Addr = busy.Addr().String()
	s := newServer(t, c, xhttp.WithMetricsHandler(exposition))
	u, _ := s.Endpoint()
	err = s.Start(context.Background())
	if err == nil || !strings.Contains(err.Error(), "http metrics server: listen on "+c.Metrics.Addr) {
		t.Fatalf("Start: %v", err)
	}
	if _, err := http.Get(u.String() + "/ping"); err == nil {
		t.Fatal("the main listener is still open")
	}
}

package docsui_test

import (
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/goxkit/gox/goxtest"
	"github.com/goxkit/gox/openapi"
	"github.com/goxkit/gox/openapi/docsui"
	xhttp "github.com/goxkit/gox/transport/http"
)

type order struct {
	ID    string `json:"id"`
	Total int    `json:"total"`
}

type getOrder struct {
	ID string `uri:"id" binding:"required"`
}

func server(t *testing.T, expose openapi.Exposure) string {
	t.Helper()
	c := xhttp.DefaultConfig()
	c.Addr = "127.0.0.1:0"
	s, err := xhttp.NewServer(c)
	if err != nil {
		t.Fatal(err)
	}
	s.GET("/v1/orders/:id", xhttp.Doc("Read an order", "", xhttp.JSON(func(_ context.Context, r *getOrder) (*order, error) {
		return &order{ID: r.ID}, nil
	})))
	s.POST("/v1/orders/:id/cancel", func(c *xhttp.Context) error { c.Status(http.StatusNoContent); return nil })
	if err := openapi.Mount(s, openapi.Options{Expose: expose, Title: "orders", Version: "2.0.0",
		Username: "admin", Password: "s3cret", Docs: docsui.Handler(docsui.Options{Title: "orders · API"})}); err != nil {
		t.Fatal(err)
	}
	u, err := s.Endpoint()
	if err != nil {
		t.Fatal(err)
	}
	goxtest.Serve(t, s)
	return u.String()
}

// The docs page, in a browser, lists the service's operations, with
// nothing but the service to load them from; behind basic auth too.
func TestPageListsOperations(t *testing.T) {
	for _, expose := range []openapi.Exposure{openapi.Public, openapi.Management} {
		t.Run(string(expose), func(t *testing.T) {
			base := server(t, expose)
			url := base + "/docs/"
			if expose == openapi.Management {
				url = strings.Replace(url, "http://", "http://admin:s3cret@", 1)
			}
			dom := goxtest.BrowserDOM(t, url)
			for _, want := range []string{"orders", "2.0.0", "/v1/orders/{id}", "/v1/orders/{id}/cancel", "Read an order"} {
				if !strings.Contains(dom, want) {
					t.Errorf("the page does not show %q:\n%.3000s", want, dom)
				}
			}
		})
	}
}

// The assets are served gzipped to a browser that takes it, and plain to
// a client that does not; a client holding the ETag gets a 304.
func TestAssets(t *testing.T) {
	base := server(t, openapi.Public)
	get := func(path string, header ...string) (*http.Response, []byte) {
		r, _ := http.NewRequest("GET", base+path, nil)
		for i := 0; i+1 < len(header); i += 2 {
			r.Header.Set(header[i], header[i+1])
		}
		tr := &http.Transport{DisableCompression: true}
		defer tr.CloseIdleConnections()
		resp, err := (&http.Client{Transport: tr}).Do(r)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	resp, gz := get("/docs/swagger-ui-bundle.js", "Accept-Encoding", "gzip")
	if resp.Header.Get("Content-Encoding") != "gzip" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/javascript") {
		t.Fatalf("gzip: %v", resp.Header)
	}
	zr, err := gzip.NewReader(strings.NewReader(string(gz)))
	if err != nil {
		t.Fatal(err)
	}
	unzipped, _ := io.ReadAll(zr)
	resp, plain := get("/docs/swagger-ui-bundle.js", "Accept-Encoding", "identity")
	if resp.Header.Get("Content-Encoding") != "" || string(plain) != string(unzipped) || !strings.Contains(string(plain), "SwaggerUIBundle") {
		t.Fatalf("plain: %v, %d bytes", resp.Header, len(plain))
	}
	if resp, _ := get("/docs/swagger-ui-bundle.js", "If-None-Match", resp.Header.Get("ETag")); resp.StatusCode != http.StatusNotModified {
		t.Fatalf("If-None-Match: %d", resp.StatusCode)
	}
	if resp, body := get("/docs/"); resp.StatusCode != 200 || !strings.Contains(string(body), "<title>orders · API</title>") {
		t.Fatalf("page: %d %s", resp.StatusCode, body)
	}
	if resp, _ := get("/docs/nothing.js"); resp.StatusCode != 404 {
		t.Fatalf("unknown asset: %d", resp.StatusCode)
	}
}

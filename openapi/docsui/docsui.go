// Package docsui is the docs page of a gox service's OpenAPI document:
// Swagger UI (swagger-ui-dist, Apache-2.0; the version is in
// assets/VERSION, update.sh refetches it), its files embedded in the
// binary, so the page works offline and fetches nothing from outside the
// service. Only a service that imports this package links the assets
// (about 0.5 MB, gzipped; served as they are to a browser that accepts
// gzip).
//
// Give it to openapi.Mount, which serves it at /docs/ next to the document:
//
//	openapi.Mount(srv, openapi.Options{Expose: openapi.Public, Title: name, Version: version,
//		Docs: docsui.Handler(docsui.Options{Title: name})})
package docsui

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html/template"
	"io"
	"net/http"
	"strings"
)

//go:embed assets/*.gz init.js
var files embed.FS

//go:embed page.html
var pageHTML string

var page = template.Must(template.New("page").Parse(pageHTML))

// Options configure the page.
type Options struct {
	// Title is the browser tab's title (default "API docs"); the page
	// heads itself with the document's info.
	Title string
	// Spec is the document's URL, relative to the page (default
	// "openapi.json", where openapi.Mount serves it next to the page).
	Spec string
}

// asset is a file the page loads.
type asset struct {
	contentType string
	gz          bool // stored gzipped
	data        []byte
	etag        string
}

// Handler serves the page at "/" (and "/index.html") and its files, for a
// server that strips the page's prefix (openapi.Mount does); HEAD too. The
// files are cached by the browser until they change (an ETag of their
// content); the page is not cached.
func Handler(o Options) http.Handler {
	if o.Title == "" {
		o.Title = "API docs"
	}
	if o.Spec == "" {
		o.Spec = "openapi.json"
	}
	var buf bytes.Buffer
	if err := page.Execute(&buf, o); err != nil {
		panic(err) // the template is ours and its data two strings
	}
	index := buf.Bytes()
	assets := map[string]asset{
		"/swagger-ui-bundle.js": load("assets/swagger-ui-bundle.js.gz", "text/javascript; charset=utf-8", true),
		"/swagger-ui.css":       load("assets/swagger-ui.css.gz", "text/css; charset=utf-8", true),
		"/init.js":              load("init.js", "text/javascript; charset=utf-8", false),
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		p := r.URL.Path
		if p == "" || p == "/" || p == "/index.html" {
			h.Set("Content-Type", "text/html; charset=utf-8")
			h.Set("Cache-Control", "no-cache")
			if r.Method == http.MethodGet {
				_, _ = w.Write(index)
			}
			return
		}
		a, ok := assets[p]
		if !ok {
			http.NotFound(w, r)
			return
		}
		h.Set("Content-Type", a.contentType)
		h.Set("ETag", a.etag)
		h.Set("Cache-Control", "no-cache") // revalidated: a 304 while the ETag holds
		if a.gz {
			h.Add("Vary", "Accept-Encoding")
		}
		if inm := r.Header.Get("If-None-Match"); inm != "" && strings.Contains(inm, a.etag) {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		if !a.gz || acceptsGzip(r) {
			if a.gz {
				h.Set("Content-Encoding", "gzip")
			}
			if r.Method == http.MethodGet {
				_, _ = w.Write(a.data)
			}
			return
		}
		if r.Method == http.MethodHead {
			return
		}
		zr, err := gzip.NewReader(bytes.NewReader(a.data))
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		_, _ = io.Copy(w, zr)
	})
}

func load(name, contentType string, gz bool) asset {
	b, err := files.ReadFile(name)
	if err != nil {
		panic(err) // embedded: cannot be missing
	}
	sum := sha256.Sum256(b)
	return asset{contentType: contentType, gz: gz, data: b, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
}

// acceptsGzip says whether r's Accept-Encoding takes gzip (and not with q=0).
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(coding), "gzip") || strings.TrimSpace(coding) == "*" {
			q := strings.ReplaceAll(params, " ", "")
			return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
		}
	}
	return false
}

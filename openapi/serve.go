package openapi

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net/http"
	"strings"
	"sync"

	xhttp "github.com/goxkit/gox/transport/http"
)

// Exposure says who is served the document and the docs page.
type Exposure string

// Exposures.
const (
	// Public serves them to everyone.
	Public Exposure = "public"
	// Management serves them behind basic auth (Options.Username and
	// Password), as the service's registry and resilience pages are.
	Management Exposure = "management"
	// Off serves neither: both paths answer 404.
	Off Exposure = "off"
)

// Paths Mount serves.
const (
	// PathDocument is the OpenAPI document.
	PathDocument = "/openapi.json"
	// PathDocs is the docs page; the document is also at PathDocs +
	// "openapi.json", where the page reads it.
	PathDocs = "/docs/"
)

// Handler serves the document of s's routes as JSON. It is built on the
// first request, when every route is registered, and kept; a document that
// cannot be built (a conflict with a merged one) is a 500 naming the
// problem, and is tried again on the next request.
func Handler(s *xhttp.Server, o Options) http.Handler {
	var (
		mu  sync.Mutex
		doc []byte
	)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		if doc == nil {
			b, err := Document(s, o)
			if err != nil {
				mu.Unlock()
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			doc = b
		}
		b := doc
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if r.Method != http.MethodHead {
			_, _ = w.Write(b)
		}
	})
}

// Mount serves, as o.Expose says, the document at /openapi.json and the
// docs page o.Docs at /docs/ (with the document at /docs/openapi.json) on
// s, outside its middleware chain. Off mounts nothing. Management needs
// o.Username and o.Password; a request without them is answered 401 with a
// basic-auth challenge of the realm gin.BasicAuth uses, so a browser that
// signed in to another management page of the service is let in.
func Mount(s *xhttp.Server, o Options) error {
	guard := func(h http.Handler) http.Handler { return h }
	switch o.Expose {
	case "", Off:
		return nil
	case Public:
	case Management:
		if o.Guard != nil {
			guard = o.Guard
			break
		}
		if o.Username == "" || o.Password == "" {
			return fmt.Errorf("openapi: expose %q needs a username and a password (basic auth)", o.Expose)
		}
		guard = func(h http.Handler) http.Handler { return basicAuth(o.Username, o.Password, h) }
	default:
		return fmt.Errorf("openapi: expose %q is not one of public, management, off", o.Expose)
	}
	doc := Handler(s, o)
	s.Mount(PathDocument, guard(doc))
	if o.Docs != nil {
		docs := o.Docs
		s.Mount(PathDocs, guard(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.TrimPrefix(r.URL.Path, PathDocs) == "openapi.json" {
				doc.ServeHTTP(w, r)
				return
			}
			http.StripPrefix(strings.TrimSuffix(PathDocs, "/"), docs).ServeHTTP(w, r)
		})))
	}
	return nil
}

// basicAuth lets through the requests with user and pass; the comparisons
// take the same time whatever the guess.
func basicAuth(user, pass string, h http.Handler) http.Handler {
	u, p := sha256.Sum256([]byte(user)), sha256.Sum256([]byte(pass))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gu, gp, ok := r.BasicAuth()
		su, sp := sha256.Sum256([]byte(gu)), sha256.Sum256([]byte(gp))
		if !ok || subtle.ConstantTimeCompare(su[:], u[:])&subtle.ConstantTimeCompare(sp[:], p[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Basic realm="Authorization Required"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

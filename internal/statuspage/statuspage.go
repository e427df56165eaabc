// Package statuspage serves gox's management pages (the registry and
// resilience pages): one handler answers GET and HEAD with a fresh
// snapshot, as JSON when the client asks for it — a path ending in .json,
// ?format=json, or Accept: application/json — and as an HTML page
// otherwise; never cached.
package statuspage

import (
	"encoding/json"
	"html/template"
	"net/http"
	"strings"
)

// Handler serves snapshot(r): as indented JSON, or as page executed with
// view(r, snapshot) (the snapshot itself when view is nil).
func Handler[S any](snapshot func(r *http.Request) S, page *template.Template, view func(r *http.Request, s S) any) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		snap := snapshot(r)
		w.Header().Set("Cache-Control", "no-store")
		if WantsJSON(r) {
			w.Header().Set("Content-Type", "application/json")
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			_ = enc.Encode(snap)
			return
		}
		var data any = snap
		if view != nil {
			data = view(r, snap)
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if err := page.Execute(w, data); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
}

// WantsJSON says whether r asks for the JSON rather than the page.
func WantsJSON(r *http.Request) bool {
	return strings.HasSuffix(r.URL.Path, ".json") || r.URL.Query().Get("format") == "json" ||
		strings.Contains(r.Header.Get("Accept"), "application/json")
}

// Package ui is the registry page of a service's management routes — what
// go-doudou shows at its admin registry route: every service the registry
// knows, each instance with its version, endpoints, metadata and health,
// as an HTML page and as the same data in JSON.
//
// Health is looked at when the page is asked for: each instance with an
// http:// endpoint is asked GET /readyz (gox's readiness route), in
// parallel, each within ProbeTimeout. An instance with only gRPC endpoints
// shows "unknown".
//
// Mount it behind basic auth, as the scaffold does:
//
//	h := ui.Handler(ui.Options{Discovery: reg, Self: app.Instance, Registered: keeper.Healthy})
//	srv.Engine().Any("/registry/*any", gin.BasicAuth(gin.Accounts{user: pass}), gin.WrapH(http.StripPrefix("/registry", h)))
//
// GET /registry/ is the page; GET /registry/services.json (or any path with
// ?format=json, or Accept: application/json) is the JSON.
package ui

import (
	"context"
	_ "embed"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/goxkit/gox/internal/statuspage"
	"github.com/goxkit/gox/registry"
)

// Options configure the handler.
type Options struct {
	// Discovery is the registry to show (required). When it implements
	// registry.Lister every service it knows is listed.
	Discovery registry.Discovery
	// Services are names to show as well: the services this one calls, for
	// a discovery that cannot list (DNS).
	Services []string
	// Self returns this process's instance (gox.App.Instance), marked on
	// the page. Optional.
	Self func() *registry.ServiceInstance
	// Registered says whether this instance is registered now
	// (registry.Keeper.Healthy). Optional.
	Registered func() bool
	// ProbeTimeout bounds each readiness probe (default 1 s; negative: no
	// probes, health shows "unknown").
	ProbeTimeout time.Duration
	// Client makes the probes (default: a client with no keep-alive pool to
	// speak of).
	Client *http.Client
	// Title heads the page (default "Registry").
	Title string
}

// Snapshot is what the page shows, and the JSON.
type Snapshot struct {
	Title      string    `json:"-"`
	Generated  time.Time `json:"generated"`
	Self       string    `json:"self,omitempty"`
	Registered *bool     `json:"registered,omitempty"`
	Services   []Service `json:"services"`
	Error      string    `json:"error,omitempty"`
}

// Service is one service and its instances.
type Service struct {
	Name      string     `json:"name"`
	Instances []Instance `json:"instances"`
	Error     string     `json:"error,omitempty"`
}

// Instance is one instance and what its readiness probe said.
type Instance struct {
	ID        string            `json:"id"`
	Version   string            `json:"version,omitempty"`
	Endpoints []string          `json:"endpoints"`
	Metadata  map[string]string `json:"metadata,omitempty"`
	// Health is up, down or unknown; Detail says why when not up.
	Health string `json:"health"`
	Detail string `json:"detail,omitempty"`
	Self   bool   `json:"self,omitempty"`
}

// Handler serves the page and the JSON.
func Handler(o Options) http.Handler {
	if o.ProbeTimeout == 0 {
		o.ProbeTimeout = time.Second
	}
	if o.Client == nil {
		o.Client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1, IdleConnTimeout: 10 * time.Second}}
	}
	if o.Title == "" {
		o.Title = "Registry"
	}
	return statuspage.Handler(func(r *http.Request) Snapshot { return o.snapshot(r.Context()) }, page, nil)
}

// snapshot reads every service and probes every instance.
func (o Options) snapshot(ctx context.Context) Snapshot {
	snap := Snapshot{Title: o.Title, Generated: time.Now().UTC().Truncate(time.Second), Services: []Service{}}
	var self *registry.ServiceInstance
	if o.Self != nil {
		if self = o.Self(); self != nil {
			snap.Self = self.ID
		}
	}
	if o.Registered != nil {
		ok := o.Registered()
		snap.Registered = &ok
	}
	names := slices.Clone(o.Services)
	if l, ok := o.Discovery.(registry.Lister); ok {
		listed, err := l.ListServices(ctx)
		if err != nil {
			snap.Error = "listing services: " + err.Error()
		}
		names = append(names, listed...)
	}
	if self != nil {
		names = append(names, self.Name)
	}
	slices.Sort(names)
	names = slices.Compact(names)

	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for _, name := range names {
		svc := Service{Name: name, Instances: []Instance{}}
		set, err := o.Discovery.GetService(ctx, name)
		if err != nil {
			svc.Error = err.Error()
		}
		for _, ins := range set {
			svc.Instances = append(svc.Instances, Instance{ID: ins.ID, Version: ins.Version, Endpoints: ins.Endpoints,
				Metadata: ins.Metadata, Health: "unknown", Self: self != nil && ins.ID == self.ID && ins.Name == self.Name})
		}
		snap.Services = append(snap.Services, svc)
	}
	for si := range snap.Services {
		for ii := range snap.Services[si].Instances {
			in := &snap.Services[si].Instances[ii]
			target := httpEndpoint(in.Endpoints)
			switch {
			case o.ProbeTimeout < 0:
				in.Detail = "probes are off"
				continue
			case target == "":
				in.Detail = "no http endpoint to probe"
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				sem <- struct{}{}
				defer func() { <-sem }()
				in.Health, in.Detail = o.probe(ctx, target)
			}()
		}
	}
	wg.Wait()
	return snap
}

func httpEndpoint(endpoints []string) string {
	for _, e := range endpoints {
		if strings.HasPrefix(e, "http://") || strings.HasPrefix(e, "https://") {
			return strings.TrimSuffix(e, "/")
		}
	}
	return ""
}

// probe asks base's /readyz.
func (o Options) probe(ctx context.Context, base string) (health, detail string) {
	ctx, cancel := context.WithTimeout(ctx, o.ProbeTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/readyz", nil)
	if err != nil {
		return "down", err.Error()
	}
	resp, err := o.Client.Do(req)
	if err != nil {
		return "down", err.Error()
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "down", fmt.Sprintf("/readyz answered %d", resp.StatusCode)
	}
	return "up", ""
}

//go:embed page.html
var pageHTML string

var page = template.Must(template.New("registry").Funcs(template.FuncMap{
	"deref": func(b *bool) bool { return b != nil && *b },
	"meta": func(m map[string]string) []string {
		out := make([]string, 0, len(m))
		for k, v := range m {
			out = append(out, k+"="+v)
		}
		slices.Sort(out)
		return out
	},
}).Parse(pageHTML))

package casbin

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"
	"github.com/casbin/casbin/v2/persist"
	"github.com/casbin/govaluate"

	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/middleware"
	"github.com/goxkit/gox/middleware/auth"
	"github.com/goxkit/gox/transport"
)

// Reasons of the errors a refused call ends with.
const (
	// ReasonPermissionDenied: no policy allows the caller this operation (403,
	// gRPC PermissionDenied).
	ReasonPermissionDenied = "PERMISSION_DENIED"
	// ReasonAuthzFailed: the check itself failed, a matcher that cannot be
	// evaluated on the call's values (500): the service's problem.
	ReasonAuthzFailed = "AUTHZ_FAILED"
)

// ErrPermissionDenied is the sentinel for errors.Is on either side of a call.
var ErrPermissionDenied = errors.Forbidden(ReasonPermissionDenied, "permission denied")

// Option configures an Authorizer.
type Option func(*Authorizer)

// WithAdapter loads the policies from a (a database through
// github.com/casbin/gorm-adapter/v3, say) instead of a policy file. They are
// reloaded every Config.ReloadInterval and by Reload.
func WithAdapter(a persist.Adapter) Option { return func(z *Authorizer) { z.adapter = a } }

// WithLogger logs policy reloads and the reloads that failed (default
// slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(z *Authorizer) { z.log = l } }

// WithPublic adds m to the operations Config.Public leaves unchecked.
func WithPublic(m middleware.Matcher) Option { return func(z *Authorizer) { z.extraPublic = m } }

// WithFunction adds a function the model's matchers may call, as
// casbin's Enforcer.AddFunction does; the model is checked with it. A
// function named as one of casbin's own (keyMatch2, regexMatch, ...)
// replaces it, where casbin's AddFunction would silently keep its own.
// The decision cache (Config.CacheSize) assumes fn answers from its
// arguments alone: a function that reads the clock or outside state needs
// cache_size: 0.
func WithFunction(name string, fn govaluate.ExpressionFunction) Option {
	return func(z *Authorizer) { z.fns[name] = fn }
}

// Authorizer checks calls against a casbin model and policy. The policies
// are swapped whole on a reload: a call is checked against one set, old or
// new, never a mix. It is safe for concurrent use.
type Authorizer struct {
	cfg         Config
	modelName   string
	modelText   string
	fns         map[string]govaluate.ExpressionFunction
	adapter     persist.Adapter
	log         *slog.Logger
	extraPublic middleware.Matcher
	public      middleware.Matcher
	ticker      func(time.Duration) (<-chan time.Time, func())

	policies atomic.Pointer[policies] // in force; swapped whole on a reload
	noCache  string                   // why decisions are not cached, when the model forbids it
	reload   sync.Mutex               // one load at a time
	loaded   []byte                   // the policy file's content now in force
	stop     chan struct{}
	wg       sync.WaitGroup
	closing  sync.Once
}

// New reads the model and the policies and returns an Authorizer enforcing
// them. A model file that does not parse, a policy line that does not fit
// the model, or a policy store that cannot be read is an error naming the
// file and line or the key of c; the service should not start. With a
// policy file and c.Watch, or an adapter and c.ReloadInterval, New starts
// reloading in the background until Close.
func New(c Config, opts ...Option) (*Authorizer, error) {
	z := &Authorizer{cfg: c, fns: map[string]govaluate.ExpressionFunction{}, log: slog.Default(), stop: make(chan struct{}), ticker: newTicker}
	for _, o := range opts {
		o(z)
	}
	public, err := c.compile()
	if err != nil {
		return nil, err
	}
	z.public = anyOf(nonNil(public, z.extraPublic)...)
	switch {
	case c.Policy == "" && z.adapter == nil:
		return nil, fmt.Errorf("authz.policy: empty, and no adapter given (WithAdapter): there are no policies to enforce")
	case c.Policy != "" && z.adapter != nil:
		return nil, fmt.Errorf("authz.policy: %q is set and an adapter was given too; choose one", c.Policy)
	}
	if err := z.readModel(); err != nil {
		return nil, err
	}
	if err := z.Reload(context.Background()); err != nil {
		return nil, err
	}
	if err := z.startReloading(); err != nil {
		return nil, err
	}
	return z, nil
}

func nonNil(ms ...middleware.Matcher) []middleware.Matcher {
	var out []middleware.Matcher
	for _, m := range ms {
		if m != nil {
			out = append(out, m)
		}
	}
	return out
}

// readModel reads and checks the model file once: a model change needs a
// restart, since policies written for the old one may not fit the new.
func (z *Authorizer) readModel() error {
	z.modelName, z.modelText = "default model", DefaultModel
	if z.cfg.Model != "" {
		b, err := os.ReadFile(z.cfg.Model)
		if err != nil {
			return fmt.Errorf("authz.model: %w", err)
		}
		z.modelName, z.modelText = z.cfg.Model, string(b)
	}
	mf, err := parseModel(z.modelName, z.modelText, z.fns)
	if err != nil {
		return err
	}
	for key, a := range mf.model["g"] {
		if len(a.ParamsTokens) > 0 {
			// a conditional role link's functions (casbin's TimeMatchFunc)
			// answer differently over time for the same request
			z.noCache = fmt.Sprintf("%s: role definition %s = %s has link conditions", z.modelName, key, a.Value)
		}
	}
	if z.noCache != "" && z.cfg.CacheSize > 0 {
		z.log.Info("authz: decisions are not cached", "reason", z.noCache)
	}
	return nil
}

// policies is one set of policies in force: the enforcer loaded with them
// and the decisions cached from it.
type policies struct {
	e         *casbin.Enforcer
	decisions *decisions // nil: not cached
}

// Reload loads the policies again, from the file or the adapter, and puts
// them in force. On an error the policies in force stay, and the error
// says what is wrong (the file and line of a policy line that does not fit
// the model).
func (z *Authorizer) Reload(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	z.reload.Lock()
	defer z.reload.Unlock()
	var data []byte
	ad := z.adapter
	if z.cfg.Policy != "" {
		b, err := os.ReadFile(z.cfg.Policy)
		if err != nil {
			return fmt.Errorf("authz.policy: %w", err)
		}
		data, ad = b, &filePolicy{name: z.cfg.Policy, data: b}
	}
	m, err := model.NewModelFromString(z.modelText)
	if err != nil {
		return fmt.Errorf("%s: %w", z.modelName, err)
	}
	fns := overrideFunctions(m, newPatterns().functions(), z.fns)
	e, err := casbin.NewEnforcer(m, ad)
	if err != nil {
		if z.cfg.Policy == "" {
			return fmt.Errorf("authz: policies from the adapter: %w", err)
		}
		return err
	}
	e.EnableAutoSave(false) // the store is the source of truth, not this copy
	for name, fn := range fns {
		e.AddFunction(name, fn)
	}
	p := &policies{e: e}
	if z.cfg.CacheSize > 0 && z.noCache == "" {
		p.decisions = newDecisions(z.cfg.CacheSize)
	}
	z.policies.Store(p)
	z.loaded = data
	return nil
}

// Enforcer returns the casbin enforcer in force, to ask questions of it
// (GetRolesForUser, Enforce). It is replaced whole on a reload: do not
// change its policies (the decisions cached from them would stay), change
// the file or the store and Reload. Its matchers call gox's functions in
// place of casbin's keyMatch2, keyMatch3, keyMatch5 and regexMatch (same
// answers, patterns compiled once), under the names goxKeyMatch2 and so on.
func (z *Authorizer) Enforcer() *casbin.Enforcer { return z.policies.Load().e }

// Close stops reloading. It is safe to call more than once.
func (z *Authorizer) Close() error {
	z.closing.Do(func() { close(z.stop) })
	z.wg.Wait()
	return nil
}

// Middleware checks every call but those of public operations: the
// subject (Config.Subject of the verified claims, or Config.Anonymous),
// the object (the route or the gRPC method) and the action (the HTTP
// method, or "call"). A call no policy allows ends with 403
// PERMISSION_DENIED (gRPC PermissionDenied). It runs after the
// authentication middleware, which puts the claims in the context.
func (z *Authorizer) Middleware() middleware.Middleware {
	return func(next middleware.Handler) middleware.Handler {
		return func(ctx context.Context, req any) (any, error) {
			tr, ok := transport.FromServerContext(ctx)
			if !ok {
				return nil, ErrPermissionDenied.WithMessage("permission denied: the call names no operation")
			}
			if z.public != nil && z.public(tr.Operation()) {
				return next(ctx, req)
			}
			obj, act := z.request(tr, req)
			allowed, err := z.allowed(ctx, obj, act)
			if err != nil {
				return nil, errors.Internal(ReasonAuthzFailed, "authorization check failed").WithCause(err)
			}
			if !allowed {
				return nil, ErrPermissionDenied.WithMessage("permission denied: %s %s", act, obj)
			}
			return next(ctx, req)
		}
	}
}

// request returns the object and action of the call tr describes.
func (z *Authorizer) request(tr transport.Transporter, req any) (obj, act string) {
	op := tr.Operation()
	if tr.Kind() != transport.KindHTTP {
		return op, ActionCall
	}
	method, path, ok := strings.Cut(op, " ")
	if !ok || !strings.HasPrefix(path, "/") {
		return op, ActionCall // a route named after a gRPC method
	}
	if z.cfg.Object == ObjectPath {
		if r := httpRequest(tr, req); r != nil {
			path = r.URL.Path
		}
	}
	return path, method
}

func httpRequest(tr transport.Transporter, req any) *http.Request {
	if t, ok := tr.(interface{ Request() *http.Request }); ok {
		return t.Request()
	}
	r, _ := req.(*http.Request)
	return r
}

// allowed reports whether a policy allows a subject of the call obj and act.
func (z *Authorizer) allowed(ctx context.Context, obj, act string) (bool, error) {
	p := z.policies.Load()
	claims, ok := auth.FromContext(ctx)
	if !ok {
		if z.cfg.Anonymous == "" {
			return false, nil
		}
		return p.check(z.cfg.Anonymous, obj, act)
	}
	if z.cfg.Subject == "sub" {
		return p.check(claims.Subject, obj, act)
	}
	switch v := claims.Raw[z.cfg.Subject].(type) {
	case string:
		return p.check(v, obj, act)
	case []string:
		return p.anyAllowed(v, obj, act)
	case []any:
		subs := make([]string, 0, len(v))
		for _, s := range v {
			if s, ok := s.(string); ok {
				subs = append(subs, s)
			}
		}
		return p.anyAllowed(subs, obj, act)
	}
	return false, nil
}

// check asks whether sub may act on obj, from the decisions cached or
// from casbin; an empty subject may not. A failed check is not cached.
func (p *policies) check(sub, obj, act string) (bool, error) {
	if sub == "" {
		return false, nil
	}
	k := decisionKey{sub, obj, act}
	if p.decisions != nil {
		if ok, hit := p.decisions.get(k); hit {
			return ok, nil
		}
	}
	ok, err := p.e.Enforce(sub, obj, act)
	if err == nil && p.decisions != nil {
		p.decisions.put(k, ok)
	}
	return ok, err
}

// anyAllowed reports whether any of subs may act on obj.
func (p *policies) anyAllowed(subs []string, obj, act string) (bool, error) {
	for _, s := range subs {
		if ok, err := p.check(s, obj, act); ok || err != nil {
			return ok, err
		}
	}
	return false, nil
}

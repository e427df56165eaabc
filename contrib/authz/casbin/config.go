package casbin

import (
	"fmt"
	"regexp"
	"time"

	"github.com/goxkit/gox/middleware"
)

// What Config.Object takes.
const (
	// ObjectRoute checks the route template of an HTTP call
	// ("/v1/users/:id"): bounded, and the same for every id.
	ObjectRoute = "route"
	// ObjectPath checks the path the client asked for ("/v1/users/42"), for
	// policies about single resources; policies then need patterns
	// ("/v1/users/*") where route policies name the template.
	ObjectPath = "path"
)

// ActionCall is the action of a call that is not an HTTP route: a gRPC
// method (every streaming kind too), or an HTTP route registered under a
// gRPC method name (the routes gctl generates from google.api.http rules),
// so one policy line covers a method on both transports.
const ActionCall = "call"

// Config is what the `authz:` block of a service's config.yaml holds.
type Config struct {
	// Model is the path of the casbin model file (rbac_model.conf style);
	// empty: DefaultModel.
	Model string `yaml:"model"`
	// Policy is the path of the CSV policy file ("p, admin, /v1/users/:id,
	// GET" and "g, alice, admin" lines). Empty: the policies come from the
	// adapter given with WithAdapter (a database through gorm-adapter).
	Policy string `yaml:"policy"`
	// Watch reloads the policy file when it changes, without a restart
	// (default true). A new file that does not load keeps the old policies
	// and is logged.
	Watch bool `yaml:"watch"`
	// ReloadInterval reloads the adapter's policies this often (default 0:
	// only when Reload is called). Not used with a policy file, which is
	// watched.
	ReloadInterval time.Duration `yaml:"reload_interval"`
	// Subject names the claim of the verified token (auth.FromContext)
	// the subject is read from (default "sub"): "role", or "roles" holding a
	// list, in which case the call is allowed when any of them is.
	Subject string `yaml:"subject"`
	// Object is what the object of an HTTP call is: "route" (default), the
	// route template, or "path", the request's path. A gRPC call's object
	// is its full method ("/pkg.Service/Method").
	Object string `yaml:"object"`
	// Anonymous, when set, is the subject checked for a call that carries
	// no claims, so that policies can open operations to anyone; empty
	// (default): such a call is refused with 403. Refusing a call for want
	// of a token with 401 is the authentication middleware's job, which
	// runs before this one.
	Anonymous string `yaml:"anonymous"`
	// CacheSize is how many decisions (subject, object, action → allowed
	// or not) are kept, least recently used dropped first (default 10000;
	// 0: none, every call asks casbin). The cache is emptied on every
	// reload, so a revoked permission is refused from the next call on.
	// With object "path" its keys are request input: the bound keeps memory
	// flat (a key over 1 KiB is not kept). It assumes a decision depends
	// only on the request and the policies: a model with conditional roles
	// (g = _, _, (_, _)) is never cached, and one whose matchers call a
	// function of WithFunction that reads the clock or outside state needs
	// 0.
	CacheSize int `yaml:"cache_size"`
	// Public selects the operations not checked at all, named as
	// middleware selectors name them: "GET /ping", "/user.v1.User/Login".
	Public Selector `yaml:"public"`
}

// Selector selects operations by exact name, prefix or regular expression;
// an operation any of them matches is selected.
type Selector struct {
	Exact  []string `yaml:"exact"`
	Prefix []string `yaml:"prefix"`
	Regex  string   `yaml:"regex"`
}

// DefaultConfig checks calls against DefaultModel with the subject from the
// sub claim and the route template as the object, and watches the policy
// file. It names no policy: a service sets policy or gives an adapter.
func DefaultConfig() Config {
	return Config{
		Watch:     true,
		Subject:   "sub",
		Object:    ObjectRoute,
		CacheSize: 10000,
		Public:    Selector{Exact: []string{}, Prefix: []string{}},
	}
}

// Validate names the key of the first problem under the authz: block. It
// does not read the files: New does, and names their lines.
func (c Config) Validate() error {
	_, err := c.compile()
	return err
}

// compile checks c and returns the public operations' matcher (nil: none).
func (c Config) compile() (middleware.Matcher, error) {
	if c.Subject == "" {
		return nil, fmt.Errorf(`authz.subject: empty; "sub" reads the token's subject`)
	}
	if c.Object != ObjectRoute && c.Object != ObjectPath {
		return nil, fmt.Errorf("authz.object: %q; want %q or %q", c.Object, ObjectRoute, ObjectPath)
	}
	if c.CacheSize < 0 {
		return nil, fmt.Errorf("authz.cache_size: %d is negative; 0 turns the decision cache off", c.CacheSize)
	}
	if c.ReloadInterval < 0 {
		return nil, fmt.Errorf("authz.reload_interval: %v is negative", c.ReloadInterval)
	}
	return c.Public.matcher()
}

func (s Selector) matcher() (middleware.Matcher, error) {
	var ms []middleware.Matcher
	if len(s.Exact) > 0 {
		ms = append(ms, middleware.Exact(s.Exact...))
	}
	if len(s.Prefix) > 0 {
		ms = append(ms, middleware.Prefix(s.Prefix...))
	}
	if s.Regex != "" {
		re, err := regexp.Compile(s.Regex)
		if err != nil {
			return nil, fmt.Errorf("authz.public.regex: %w", err)
		}
		ms = append(ms, re.MatchString)
	}
	return anyOf(ms...), nil
}

// anyOf matches when any of ms does; nil when there is none.
func anyOf(ms ...middleware.Matcher) middleware.Matcher {
	switch len(ms) {
	case 0:
		return nil
	case 1:
		return ms[0]
	}
	return func(op string) bool {
		for _, m := range ms {
			if m(op) {
				return true
			}
		}
		return false
	}
}

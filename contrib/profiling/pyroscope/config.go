package pyroscope

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	pyro "github.com/grafana/pyroscope-go"
)

// Config is the `pyroscope:` block of a service's config.yaml.
type Config struct {
	// Enabled says whether the service pushes profiles; it is read by the
	// code that wires the service, New ignores it.
	Enabled bool `yaml:"enabled"`
	// ServerAddress is the Pyroscope server's URL,
	// "http://pyroscope:4040"; profiles go to its /ingest. Required.
	ServerAddress string `yaml:"server_address"`
	// AppName names the service in Pyroscope (letters, digits, "_", "-",
	// ".", "/"); tags go in Tags. Required.
	AppName string `yaml:"app_name"`
	// Tags are labels on every profile: env, region, version. Names are
	// letters, digits, "_" and ".".
	Tags map[string]string `yaml:"tags"`
	// Auth is how the server is logged in to.
	Auth Auth `yaml:"auth"`
	// UploadRate is how often profiles are pushed (default 15s).
	UploadRate time.Duration `yaml:"upload_rate"`
	// ProfileTypes are the profiles pushed (default cpu, alloc_objects,
	// alloc_space, inuse_objects, inuse_space); also goroutine,
	// mutex_count, mutex_duration, block_count, block_duration.
	ProfileTypes []string `yaml:"profile_types"`
}

// Auth logs in to the Pyroscope server: basic auth (Grafana Cloud: the
// stack's user id and an access token), a tenant for a multi-tenant
// server, and any headers.
type Auth struct {
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	// TenantID is sent as X-Scope-OrgID.
	TenantID string `yaml:"tenant_id"`
	// Headers are sent with every push: "Authorization: Bearer …" for a
	// server behind a proxy that wants a token.
	Headers map[string]string `yaml:"headers"`
}

// profileTypes are the names ProfileTypes takes.
var profileTypes = []pyro.ProfileType{pyro.ProfileCPU, pyro.ProfileAllocObjects, pyro.ProfileAllocSpace,
	pyro.ProfileInuseObjects, pyro.ProfileInuseSpace, pyro.ProfileGoroutines, pyro.ProfileMutexCount,
	pyro.ProfileMutexDuration, pyro.ProfileBlockCount, pyro.ProfileBlockDuration}

// Validate names the key of the first problem (never a password).
func (c Config) Validate() error {
	u, err := url.Parse(c.ServerAddress)
	switch {
	case c.ServerAddress == "":
		return fmt.Errorf("pyroscope.server_address is empty; give the server's URL, http://pyroscope:4040")
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return fmt.Errorf("pyroscope.server_address %q is not an http(s) URL with a host", c.ServerAddress)
	case u.User != nil:
		return fmt.Errorf("pyroscope.server_address holds credentials; put them in pyroscope.auth")
	case c.AppName == "":
		return fmt.Errorf("pyroscope.app_name is empty; name the service as Pyroscope should show it")
	case strings.ContainsFunc(c.AppName, func(r rune) bool { return !serviceRune(r) }):
		return fmt.Errorf("pyroscope.app_name %q may hold letters, digits, _ - . / only (tags go in pyroscope.tags)", c.AppName)
	case c.UploadRate < 0 || (c.UploadRate > 0 && c.UploadRate < 100*time.Millisecond):
		return fmt.Errorf("pyroscope.upload_rate must be at least 100ms (or 0: 15s), got %s", c.UploadRate)
	case (c.Auth.Username == "") != (c.Auth.Password == ""):
		return fmt.Errorf("pyroscope.auth.username and pyroscope.auth.password go together; one of them is empty")
	}
	for k := range c.Tags {
		if k == "" || k == "__name__" || strings.ContainsFunc(k, func(r rune) bool { return !labelRune(r) }) {
			return fmt.Errorf("pyroscope.tags: %q is not a tag name (letters, digits, _ and ., not __name__)", k)
		}
	}
	for k := range c.Auth.Headers {
		if k == "" || strings.ContainsAny(k, " \t\r\n:") {
			return fmt.Errorf("pyroscope.auth.headers: %q is not a header name", k)
		}
	}
	for i, t := range c.ProfileTypes {
		if !slices.Contains(profileTypes, pyro.ProfileType(t)) {
			return fmt.Errorf("pyroscope.profile_types[%d] %q is not one of %v", i, t, profileTypes)
		}
	}
	return nil
}

func labelRune(r rune) bool {
	return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') || r == '_' || r == '.'
}

func serviceRune(r rune) bool { return r == '-' || r == '/' || labelRune(r) }

package config_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/goxkit/gox/config"
	"github.com/goxkit/gox/config/configtest"
)

// FuzzSourceDocument loads an arbitrary document from a remote source (a
// Consul or etcd value is outside input): no panic; a refused document's
// error names the store and key, and the config is left as it was; Diff
// between the defaults and what loaded never panics and finds nothing
// between a config and itself.
func FuzzSourceDocument(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Add([]byte(`{"app": {"name": "json"}, "database": {"a": {"dsn": "x"}}}`))
	const name = `consul key "gox/fuzz"`
	f.Fuzz(func(t *testing.T, data []byte) {
		c := fuzzDefaults()
		err := config.Load(&c, config.WithSource(configtest.NewMemory(name, string(data))), config.WithNoEnv())
		if err != nil {
			if !strings.Contains(err.Error(), name) {
				t.Fatalf("error %q does not name the source", err)
			}
			var ke *config.KeyError
			if errors.As(err, &ke) && (ke.Source != name || ke.File != "") {
				t.Fatalf("KeyError names source %q, file %q", ke.Source, ke.File)
			}
			if !bytes.Equal(marshal(t, c), marshal(t, fuzzDefaults())) {
				t.Fatalf("a refused document changed the config: %s", marshal(t, c))
			}
			return
		}
		_ = config.Diff(fuzzDefaults(), c)
		if d := config.Diff(c, c); len(d) != 0 {
			t.Fatalf("Diff of a config with itself: %v", d)
		}
	})
}

package config

import (
	"context"
	"errors"
	"fmt"
	"reflect"
)

// Source is a configuration document kept outside the process: YAML (JSON
// is YAML too) under one key of a store such as Consul KV or etcd.
// contrib/config/consul and contrib/config/etcd implement it over the
// clients the registries use. Load layers it under the environment and the
// file (WithSource); SourceWatcher reloads on its changes.
//
// Implementations are safe for concurrent use.
type Source interface {
	// String names the store and the key, such as `consul key "gox/shop"`:
	// every error and log line about the document carries it.
	String() string
	// Read returns the document under the key, bounded by the source's own
	// timeout as well as ctx. An error wrapping ErrUnreachable means the
	// store could not be asked (WithSourceFallback may go on without it);
	// any other error, such as a missing key, is the caller's mistake and
	// fails Load.
	Read(ctx context.Context) ([]byte, error)
	// Watch blocks until ctx ends, calling changed (on Watch's goroutine,
	// one call at a time) once when the watch is in place, so that nothing
	// written since an earlier Read is lost, and then whenever the document
	// may have changed; spurious calls are allowed. It returns nil when ctx ends and an error when
	// the store can no longer be watched (an outage), after which the
	// caller reads the document again and watches anew.
	Watch(ctx context.Context, changed func()) error
}

// ErrUnreachable is wrapped by a Source's errors when its store cannot be
// reached (refused, timed out, no leader): the document may be fine.
var ErrUnreachable = errors.New("store unreachable")

// WithSource layers src's document between the defaults and the
// environment: defaults < remote source < environment < file. Several
// sources apply in the order given, a later one winning. The document goes
// through the same pipeline as the file (${VAR} expansion, merge keys,
// unknown keys refused), and its errors name the source instead of a file:
//
//	config: consul key "gox/shop":3: key "log.level": want string: ...
//
// An unreachable store fails Load unless WithSourceFallback is given.
func WithSource(src Source) Option {
	return func(l *loader) { l.sources = append(l.sources, src) }
}

// WithSourceFallback lets Load go on without a source whose store is
// unreachable (its Read error wraps ErrUnreachable): the defaults, the
// environment and the file still apply. warn receives that error, for the
// caller to log. A document that is there but wrong still fails Load.
func WithSourceFallback(warn func(error)) Option {
	return func(l *loader) {
		l.fallback = true
		l.warn = warn
	}
}

func (l *loader) applySources(v reflect.Value) error {
	for _, src := range l.sources {
		data, err := src.Read(context.Background())
		if err != nil {
			if l.fallback && errors.Is(err, ErrUnreachable) {
				if l.warn != nil {
					l.warn(fmt.Errorf("config: %s: %w; going on without it", src, err))
				}
				continue
			}
			return fmt.Errorf("config: %s: %w", src, err)
		}
		if err := applyDoc(data, src.String(), true, v); err != nil {
			return err
		}
	}
	return nil
}

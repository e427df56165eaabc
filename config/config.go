// Package config loads a service's typed configuration from layers, each
// overriding the one before (config file > environment > remote source >
// defaults):
//
//  1. defaults: the values already in the struct passed to Load;
//  2. remote sources (WithSource): a YAML or JSON document under a key of
//     Consul KV or etcd (contrib/config/consul, contrib/config/etcd),
//     watched by SourceWatcher;
//  3. environment: PREFIX_SECTION_KEY for every leaf key, e.g. SHOP_HTTP_ADDR
//     for http.addr (maps are not reachable through the environment);
//  4. the YAML file, after expanding ${VAR} and ${VAR:-default} in its values.
//
// Keys are the fields' yaml tags. YAML anchors and merge keys work as in the
// YAML merge spec ("<<: *defaults", "<<: [*a, *b]": a mapping's own keys win,
// then the earlier merged mapping). An unknown key, a value of the wrong type or
// an unset ${VAR} fails the load with the file, line and full key path. If the
// struct has a Validate() error method it runs last. Watcher reports changes
// of the file, including a Kubernetes ConfigMap's atomic symlink swap;
// SourceWatcher those of a remote source. Diff lists the keys a reload
// changed, so that a service can apply some and log the others as needing
// a restart.
package config

import (
	"errors"
	"fmt"
	"os"
	"reflect"

	"go.yaml.in/yaml/v3"
)

// Option configures Load.
type Option func(*loader)

type loader struct {
	file      string
	envPrefix string
	noEnv     bool
	sources   []Source
	fallback  bool
	warn      func(error)
}

// WithFile reads the YAML file at path; a missing file is an error.
func WithFile(path string) Option { return func(l *loader) { l.file = path } }

// WithEnvPrefix sets the prefix of environment variables ("SHOP" reads SHOP_HTTP_ADDR).
func WithEnvPrefix(prefix string) Option { return func(l *loader) { l.envPrefix = prefix } }

// WithNoEnv ignores the environment: only the defaults and the file count
// (a test that must not see the developer's variables).
func WithNoEnv() Option { return func(l *loader) { l.noEnv = true } }

// Validator is implemented by config structs that check themselves after loading.
type Validator interface{ Validate() error }

// Load fills dst, a pointer to a struct holding the defaults.
func Load(dst any, opts ...Option) error {
	rv := reflect.ValueOf(dst)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("config: Load needs a non-nil pointer to a struct, got %T", dst)
	}
	l := &loader{}
	for _, o := range opts {
		o(l)
	}
	// Work on a copy (maps and pointers are copied on write) so that a failed
	// load leaves dst exactly as it was.
	tmp := reflect.New(rv.Elem().Type())
	tmp.Elem().Set(rv.Elem())
	if err := l.applySources(tmp.Elem()); err != nil {
		return err
	}
	if !l.noEnv {
		if err := applyEnv(tmp.Elem(), l.envPrefix, ""); err != nil {
			return err
		}
	}
	if l.file != "" {
		if err := l.applyFile(tmp.Elem()); err != nil {
			return err
		}
	}
	if v, ok := tmp.Interface().(Validator); ok {
		if err := v.Validate(); err != nil {
			return fmt.Errorf("config: %w", err)
		}
	}
	rv.Elem().Set(tmp.Elem())
	return nil
}

func (l *loader) applyFile(v reflect.Value) error {
	data, err := os.ReadFile(l.file)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	return applyDoc(data, l.file, false, v)
}

// applyDoc decodes a YAML document over v; name is the file, or the remote
// source when remote is set, for errors.
func applyDoc(data []byte, name string, remote bool, v reflect.Value) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("config: %s: %w", name, err)
	}
	if len(doc.Content) == 0 {
		return nil // empty document: nothing overrides
	}
	wrap := func(err error) error {
		var ke *KeyError
		if errors.As(err, &ke) {
			if remote {
				ke.Source = name
			} else {
				ke.File = name
			}
		}
		return err
	}
	if err := expand(&doc, ""); err != nil {
		return wrap(err)
	}
	if err := resolveMerges(&doc); err != nil {
		return wrap(err)
	}
	return wrap(decode(doc.Content[0], v, ""))
}

// KeyError is a problem with one key of the configuration.
type KeyError struct {
	File string // the YAML file, or "" for the environment and remote sources
	// Source names the remote source, such as `consul key "gox/shop"`, for
	// an error in its document.
	Source string
	Line   int    // line in File, when known
	Env    string // the environment variable, for env errors
	Key    string // full key path, "http.read_timeout"
	Msg    string
}

func (e *KeyError) Error() string {
	where := e.File
	if e.Source != "" {
		where = e.Source
	}
	switch {
	case e.Env != "":
		return fmt.Sprintf("config: environment %s (key %q): %s", e.Env, e.Key, e.Msg)
	case e.Key == "":
		return fmt.Sprintf("config: %s:%d: %s", where, e.Line, e.Msg)
	}
	return fmt.Sprintf("config: %s:%d: key %q: %s", where, e.Line, e.Key, e.Msg)
}

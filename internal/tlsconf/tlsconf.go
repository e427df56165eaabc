// Package tlsconf builds the TLS configurations of gox's servers and clients
// from PEM files and keeps them current when the files change, as they do
// when cert-manager renews a certificate: a Kubernetes Secret volume swaps a
// symlinked directory (..data), other tools replace a file by renaming a new
// one over it or rewrite it in place. All three are seen.
//
// The files are checked on the handshake, not by a watcher goroutine: at most
// once per interval (a second by default) a handshake stats each file, and
// when one changed (another inode, size or modification time — stat follows
// symlinks, so a swapped ..data shows up as other inodes) the set is read
// again. A set that does not load — a half-written file, a key that no longer
// matches its certificate — is logged once and the previous one is kept; it
// is tried again when the files change again. Nothing runs between
// handshakes and nothing needs stopping.
//
// At start the files must load: a missing or unreadable file, a file with no
// PEM block, or a key that does not match its certificate is an error naming
// the file and its config key, and the server or client is not built.
//
// It owns reading and reloading the files and the tls.Config they make; it
// does not listen, dial or know either transport.
package tlsconf

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// DefaultCheckEvery is how often at most a handshake stats the files.
const DefaultCheckEvery = time.Second

// Options tune a Server or a Client; the zero value is usable.
type Options struct {
	// Logger receives reloads and failed reloads; default slog.Default().
	Logger *slog.Logger
	// Now is the clock that spaces the checks; default time.Now.
	Now func() time.Time
	// CheckEvery spaces the checks of the files; 0 means DefaultCheckEvery.
	CheckEvery time.Duration
	// NextProtos are the ALPN protocols offered ("h2", "http/1.1").
	NextProtos []string
}

func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.CheckEvery <= 0 {
		o.CheckEvery = DefaultCheckEvery
	}
	return o
}

// MinVersions are the accepted values of min_version.
var minVersions = map[string]uint16{"": tls.VersionTLS12, "1.2": tls.VersionTLS12, "1.3": tls.VersionTLS13}

// parseMinVersion reads min_version: "1.2" (the default) or "1.3".
func parseMinVersion(prefix, v string) (uint16, error) {
	if mv, ok := minVersions[v]; ok {
		return mv, nil
	}
	return 0, fmt.Errorf("%s: tls.min_version %q is not one of 1.2, 1.3", prefix, v)
}

// ClientAuths are the accepted values of client_auth, in Go's order.
var clientAuths = []struct {
	name string
	t    tls.ClientAuthType
}{
	{"none", tls.NoClientCert},
	{"request", tls.RequestClientCert},
	{"require_any", tls.RequireAnyClientCert},
	{"verify_if_given", tls.VerifyClientCertIfGiven},
	{"require_and_verify", tls.RequireAndVerifyClientCert},
}

// parseClientAuth reads client_auth; empty means require_and_verify when a
// client CA is set and none otherwise. A mode that verifies needs a CA, and
// a CA with none would be ignored: both are refused.
func parseClientAuth(prefix, v string, hasCA bool) (tls.ClientAuthType, error) {
	if v == "" {
		if hasCA {
			return tls.RequireAndVerifyClientCert, nil
		}
		return tls.NoClientCert, nil
	}
	names := make([]string, 0, len(clientAuths))
	for _, ca := range clientAuths {
		names = append(names, ca.name)
		if ca.name != v {
			continue
		}
		verifies := ca.t == tls.VerifyClientCertIfGiven || ca.t == tls.RequireAndVerifyClientCert
		switch {
		case verifies && !hasCA:
			return 0, fmt.Errorf("%s: tls.client_auth %q needs tls.client_ca_file to verify client certificates with", prefix, v)
		case ca.t == tls.NoClientCert && hasCA:
			return 0, fmt.Errorf("%s: tls.client_ca_file is set but tls.client_auth is %q: the CA would not be used", prefix, v)
		}
		return ca.t, nil
	}
	return 0, fmt.Errorf("%s: tls.client_auth %q is not one of %s", prefix, v, strings.Join(names, ", "))
}

package auth

import (
	"context"
	stderrors "errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// maxJWKSBytes bounds the body of a JWK Set response.
const maxJWKSBytes = 1 << 20

var (
	// errNoKey: no key verifies the token (unknown kid, a kid of another
	// type, no kid with several candidates).
	errNoKey = stderrors.New("no key for the token")
	// errKeysUnavailable: the JWK Set has never been fetched, so no
	// token naming a JWKS key can be checked.
	errKeysUnavailable = stderrors.New("JWK Set not loaded")
)

// jwk is one usable key of a set.
type jwk struct {
	key any
	alg string // the key's alg parameter; "" when it names none
}

// keySet is the cached content of a JWK Set URL.
//
// The set is gox's own rather than keyfunc/jwkset's, for three reasons:
// jwkset's HTTP storage blocks a call on its rate limiter for up to a
// minute when a token names an unknown kid within the limit (here such a
// call is refused at once), it retries a failed refresh only at the next
// tick of its interval (here at the next MinRefreshInterval), and its
// schedule runs on the system clock, which a test cannot move (here it
// reads the Authenticator's clock). The JWK decoding (jwk.go) is small and
// keeps the core module free of another dependency.
type keySet struct {
	url                   string
	client                *http.Client
	timeout, stale, limit time.Duration
	now                   func() time.Time
	log                   *slog.Logger

	cur atomic.Pointer[snapshot]

	mu       sync.Mutex
	tried    time.Time // the start of the last fetch
	failures int       // fetches failed in a row
	running  *run      // the fetch in flight; nil when none
	base     context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup
}

type keyMap map[string]jwk

// run is one fetch: done is closed when it ends, err then holds its
// failure.
type run struct {
	done chan struct{}
	err  error
}

// snapshot is the set as the last successful fetch left it.
type snapshot struct {
	keys   keyMap
	loaded time.Time
}

func newKeySet(c JWKS, client *http.Client, now func() time.Time, log *slog.Logger) *keySet {
	s := &keySet{url: c.URL, client: client, timeout: c.Timeout, stale: c.RefreshInterval, limit: c.MinRefreshInterval, now: now, log: log}
	s.base, s.cancel = context.WithCancel(context.Background())
	return s
}

// lookup returns the cached keys, which hold kid unless the caller finds
// otherwise. A kid the cache lacks (or a set never loaded) waits for a
// fetch when one is running or may start now; when the rate limit forbids
// one, the cache answers as it is. A token without a kid never makes a
// fetch once the set is loaded. A stale set is refreshed in the background
// while its keys keep answering.
func (s *keySet) lookup(ctx context.Context, kid string) (keyMap, error) {
	snap := s.cur.Load()
	if snap != nil {
		if _, ok := snap.keys[kid]; ok || kid == "" {
			if s.now().Sub(snap.loaded) >= s.stale {
				s.mu.Lock()
				s.startLocked()
				s.mu.Unlock()
			}
			return snap.keys, nil
		}
	}
	if r := s.join(); r != nil {
		select {
		case <-r.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		snap = s.cur.Load()
	}
	if snap == nil {
		return nil, errKeysUnavailable
	}
	return snap.keys, nil
}

// join returns the fetch in flight, or the one it starts when the rate
// limit allows; nil when there is neither.
func (s *keySet) join() *run {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running != nil {
		return s.running
	}
	return s.startLocked()
}

// startLocked starts a fetch unless one runs or the last started less than
// MinRefreshInterval ago; it returns the fetch, or nil when none started.
// s.mu is held.
func (s *keySet) startLocked() *run {
	now := s.now()
	if s.running != nil || !s.tried.IsZero() && now.Sub(s.tried) < s.limit || s.base.Err() != nil {
		return nil
	}
	s.tried = now
	r := &run{done: make(chan struct{})}
	s.running = r
	s.wg.Add(1)
	go func() { // not the caller's: a canceled call must not cancel a fetch others wait on
		defer s.wg.Done()
		ctx, cancel := context.WithTimeout(s.base, s.timeout)
		m, err := s.fetch(ctx)
		cancel()
		s.mu.Lock()
		s.settleLocked(m, err)
		r.err = err
		s.running = nil
		s.mu.Unlock()
		close(r.done)
	}()
	return r
}

// settleLocked records a fetch's outcome: new keys replace the cache; a
// failure keeps it and is logged.
func (s *keySet) settleLocked(m keyMap, err error) {
	if err != nil {
		s.failures++
		cached := 0
		if old := s.cur.Load(); old != nil {
			cached = len(old.keys)
		}
		s.log.Warn("auth: JWK Set refresh failed; the cached keys stay in use",
			"url", s.url, "error", err, "failures", s.failures, "cached_keys", cached, "retry_after", s.limit)
		return
	}
	if s.failures > 0 {
		s.log.Info("auth: JWK Set refreshed after failures", "url", s.url, "failures", s.failures, "keys", len(m))
	}
	s.failures = 0
	s.cur.Store(&snapshot{keys: m, loaded: s.now()})
}

// fetch gets and parses the set. A set with no usable signing key is a
// failure: the keys it would replace stay.
func (s *keySet) fetch(ctx context.Context) (keyMap, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxJWKSBytes))
		return nil, fmt.Errorf("status %s", resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading the set: %w", err)
	}
	if len(body) > maxJWKSBytes {
		return nil, fmt.Errorf("the set is larger than %d bytes", maxJWKSBytes)
	}
	m, skipped, err := decodeJWKS(body)
	if skipped != nil {
		s.log.Warn("auth: JWK Set keys skipped", "url", s.url, "error", skipped)
	}
	return m, err
}

// close stops a running fetch and waits for it.
func (s *keySet) close() {
	s.cancel()
	s.wg.Wait()
}

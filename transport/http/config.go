package http

import "time"

// Config configures the HTTP server.
type Config struct {
	// Addr is the listen address, host:port. ":0" picks a free port.
	Addr string `yaml:"addr"`
	// ReadHeaderTimeout bounds reading request headers (slowloris protection).
	ReadHeaderTimeout time.Duration `yaml:"read_header_timeout"`
	// ReadTimeout bounds reading a whole request, body included.
	ReadTimeout time.Duration `yaml:"read_timeout"`
	// WriteTimeout bounds writing a response.
	WriteTimeout time.Duration `yaml:"write_timeout"`
	// IdleTimeout bounds how long a keep-alive connection waits for the next request.
	IdleTimeout time.Duration `yaml:"idle_timeout"`
	// MaxBodyBytes is the largest request body accepted; larger ones get a 413.
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// ErrorFormat is envelope ({"code","reason","message","data"}) or problem (RFC 9457).
	ErrorFormat string `yaml:"error_format"`
	// TLS serves HTTPS when both files are set.
	TLS TLSConfig `yaml:"tls"`
	// Pprof mounts /debug/pprof/ behind basic auth when enabled.
	Pprof PprofConfig `yaml:"pprof"`
	// Metrics says where /metrics is served (with WithMetricsHandler) and
	// who may read it; by default it is public, on Addr.
	Metrics MetricsConfig `yaml:"metrics"`
	// CORS answers cross-origin requests; off without allowed origins.
	CORS CORSConfig `yaml:"cors"`
	// Headers are the security headers sent with every response.
	Headers HeadersConfig `yaml:"headers"`
}

// MetricsConfig places and guards /metrics. With no credentials set it is
// public; with basic auth, a bearer token or both set, a scrape must present
// one of them (401 otherwise).
type MetricsConfig struct {
	// Addr serves /metrics on a listener of its own, host:port (":0" picks
	// a free port), with the server's TLS, instead of on Addr — a port
	// kept off the public network. Empty: on Addr with the routes.
	Addr string `yaml:"addr"`
	// Username and Password require HTTP basic auth (Prometheus basic_auth).
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	// BearerToken requires "Authorization: Bearer <token>" (Prometheus
	// authorization.credentials).
	BearerToken string `yaml:"bearer_token"`
}

// TLSConfig names a certificate and key in PEM files.
type TLSConfig struct {
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
}

// PprofConfig guards the profiling endpoints.
type PprofConfig struct {
	Enabled  bool   `yaml:"enabled"`
	Username string `yaml:"username"`
	Password string `yaml:"password"`
}

// DefaultConfig returns :8080, 5s to read headers, 30s to read, 30s to write,
// 120s idle, 4 MiB bodies, the envelope error format, pprof off, /metrics
// public on :8080, CORS off, and the security headers nosniff,
// X-Frame-Options DENY and Referrer-Policy no-referrer.
func DefaultConfig() Config {
	return Config{
		Addr:              ":8080",
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxBodyBytes:      4 << 20,
		ErrorFormat:       "envelope",
		CORS:              CORSConfig{AllowedOrigins: []string{}, AllowedMethods: []string{}, AllowedHeaders: []string{}, ExposedHeaders: []string{}},
		Headers:           HeadersConfig{FrameOptions: "DENY", ReferrerPolicy: "no-referrer"},
	}
}

package http

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rs/cors"
	"github.com/unrolled/secure"
)

// CORSConfig answers cross-origin requests from browsers. It is off while
// AllowedOrigins is empty. Preflight requests (OPTIONS with
// Access-Control-Request-Method) are answered before routing, the
// middleware chain, authentication and rate limits: they carry no
// credentials and are not traffic.
type CORSConfig struct {
	// AllowedOrigins are the origins allowed, "https://app.example.com"
	// (scheme, host and port as the browser sends them), one "*" wildcard
	// in the host ("https://*.example.com"), or "*" for any origin — not
	// with AllowCredentials.
	AllowedOrigins []string `yaml:"allowed_origins"`
	// AllowedMethods default to GET, POST and HEAD (rs/cors's default);
	// list PUT, PATCH, DELETE when the API has them.
	AllowedMethods []string `yaml:"allowed_methods"`
	// AllowedHeaders are the request headers a page may send beyond the
	// CORS-safelisted ones (default: Accept, Content-Type,
	// X-Requested-With; "*" allows any).
	AllowedHeaders []string `yaml:"allowed_headers"`
	// ExposedHeaders are the response headers a page may read beyond the
	// safelisted ones (X-Request-ID, Retry-After, say).
	ExposedHeaders []string `yaml:"exposed_headers"`
	// AllowCredentials lets pages send cookies and Authorization; it
	// needs explicit origins.
	AllowCredentials bool `yaml:"allow_credentials"`
	// MaxAge is how long a browser may cache a preflight's answer (0: the
	// browser's default; browsers cap it at 2h or less).
	MaxAge time.Duration `yaml:"max_age"`
}

// HeadersConfig adds security headers to every response, the error pages
// and the probes included.
type HeadersConfig struct {
	// Disabled sends none of them.
	Disabled bool `yaml:"disabled"`
	// HSTS is Strict-Transport-Security's max-age, sent on requests that
	// came over TLS (directly, or through a proxy that says so with
	// X-Forwarded-Proto: https). 0 sends none.
	HSTS time.Duration `yaml:"hsts"`
	// HSTSSubdomains adds includeSubDomains; HSTSPreload adds preload.
	HSTSSubdomains bool `yaml:"hsts_subdomains"`
	HSTSPreload    bool `yaml:"hsts_preload"`
	// FrameOptions is X-Frame-Options: DENY (default), SAMEORIGIN, or
	// "off" to send none.
	FrameOptions string `yaml:"frame_options"`
	// ContentSecurityPolicy is sent as it is when set; the docs page
	// (/docs/) needs 'self' for scripts and styles, and inline styles.
	ContentSecurityPolicy string `yaml:"content_security_policy"`
	// ReferrerPolicy is Referrer-Policy (default no-referrer; "off": none).
	ReferrerPolicy string `yaml:"referrer_policy"`
}

// validate checks c, naming the key at fault.
func (c CORSConfig) validate() error {
	for _, o := range c.AllowedOrigins {
		if o == "*" {
			if c.AllowCredentials {
				return fmt.Errorf(`http: cors.allowed_origins "*" with cors.allow_credentials: browsers refuse credentials for any origin; list the origins`)
			}
			continue
		}
		u, err := url.Parse(strings.Replace(o, "*.", "x.", 1))
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || strings.Count(o, "*") > 1 {
			return fmt.Errorf("http: cors.allowed_origins %q is not an origin (scheme://host[:port], one *. wildcard in the host, or *)", o)
		}
	}
	for _, m := range c.AllowedMethods {
		if m == "" || strings.ToUpper(m) != m || strings.ContainsAny(m, " \t/") {
			return fmt.Errorf("http: cors.allowed_methods %q is not a method in capitals", m)
		}
	}
	if c.MaxAge < 0 {
		return fmt.Errorf("http: cors.max_age %s is negative", c.MaxAge)
	}
	if len(c.AllowedOrigins) == 0 && (c.AllowCredentials || len(c.AllowedMethods) > 0 || len(c.AllowedHeaders) > 0 || len(c.ExposedHeaders) > 0) {
		return fmt.Errorf("http: cors has settings but no allowed_origins: CORS is off without them")
	}
	return nil
}

func (c HeadersConfig) validate() error {
	switch strings.ToUpper(c.FrameOptions) {
	case "", "DENY", "SAMEORIGIN", "OFF":
	default:
		return fmt.Errorf("http: headers.frame_options %q is not one of DENY, SAMEORIGIN, off", c.FrameOptions)
	}
	if c.HSTS < 0 {
		return fmt.Errorf("http: headers.hsts %s is negative", c.HSTS)
	}
	if (c.HSTSSubdomains || c.HSTSPreload) && c.HSTS == 0 {
		return fmt.Errorf("http: headers.hsts_subdomains and hsts_preload need headers.hsts")
	}
	return nil
}

// edge wraps h with the security headers and CORS of c: outside gin, so
// that they apply to every response and a preflight is answered before
// anything else runs.
func edge(c Config, h http.Handler) http.Handler {
	if !c.Headers.Disabled {
		h = secureHeaders(c.Headers).Handler(h)
	}
	if len(c.CORS.AllowedOrigins) > 0 {
		h = cors.New(cors.Options{
			AllowedOrigins:   c.CORS.AllowedOrigins,
			AllowedMethods:   c.CORS.AllowedMethods,
			AllowedHeaders:   c.CORS.AllowedHeaders,
			ExposedHeaders:   c.CORS.ExposedHeaders,
			AllowCredentials: c.CORS.AllowCredentials,
			MaxAge:           int(c.CORS.MaxAge / time.Second),
		}).Handler(h)
	}
	return h
}

func secureHeaders(c HeadersConfig) *secure.Secure {
	o := secure.Options{
		ContentTypeNosniff:    true,
		ContentSecurityPolicy: c.ContentSecurityPolicy,
		STSSeconds:            int64(c.HSTS / time.Second),
		STSIncludeSubdomains:  c.HSTSSubdomains,
		STSPreload:            c.HSTSPreload,
		SSLProxyHeaders:       map[string]string{"X-Forwarded-Proto": "https"},
	}
	switch f := strings.ToUpper(c.FrameOptions); f {
	case "", "DENY":
		o.FrameDeny = true
	case "SAMEORIGIN":
		o.CustomFrameOptionsValue = "SAMEORIGIN"
	}
	switch c.ReferrerPolicy {
	case "":
		o.ReferrerPolicy = "no-referrer"
	case "off":
	default:
		o.ReferrerPolicy = c.ReferrerPolicy
	}
	return secure.New(o)
}

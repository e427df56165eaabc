package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
)

// ServerFiles are a server's TLS settings, as its config keys say them.
type ServerFiles struct {
	CertFile     string // cert_file: the certificate chain, leaf first
	KeyFile      string // key_file: its private key
	ClientCAFile string // client_ca_file: CAs that verify client certificates (mTLS)
	ClientAuth   string // client_auth: none, request, require_any, verify_if_given, require_and_verify
	MinVersion   string // min_version: 1.2 (default) or 1.3
}

// Server serves the current certificate and client CAs of a server.
type Server struct {
	r    *reloader[tls.Config]
	base *tls.Config
}

// NewServer loads f; prefix starts its errors ("http server on :8443").
// With neither cert_file nor key_file it returns nil: no TLS. The files are
// read now and must load.
func NewServer(prefix string, f ServerFiles, o Options) (*Server, error) {
	o = o.withDefaults()
	if f.CertFile == "" && f.KeyFile == "" {
		if f.ClientCAFile != "" || f.ClientAuth != "" {
			return nil, fmt.Errorf("%s: tls.client_ca_file and tls.client_auth need tls.cert_file and tls.key_file", prefix)
		}
		return nil, nil
	}
	if err := pairFiles(prefix, "cert_file", f.CertFile, "key_file", f.KeyFile); err != nil {
		return nil, err
	}
	minV, err := parseMinVersion(prefix, f.MinVersion)
	if err != nil {
		return nil, err
	}
	auth, err := parseClientAuth(prefix, f.ClientAuth, f.ClientCAFile != "")
	if err != nil {
		return nil, err
	}
	paths := []string{f.CertFile, f.KeyFile}
	if f.ClientCAFile != "" {
		paths = append(paths, f.ClientCAFile)
	}
	r := &reloader[tls.Config]{paths: paths, what: prefix, opts: o, load: func() (*tls.Config, []any, error) {
		cert, err := loadKeyPair(prefix, "cert_file", f.CertFile, "key_file", f.KeyFile)
		if err != nil {
			return nil, nil, err
		}
		var pool *x509.CertPool
		if f.ClientCAFile != "" {
			if pool, err = loadPool(prefix, "client_ca_file", f.ClientCAFile); err != nil {
				return nil, nil, err
			}
		}
		c := &tls.Config{
			Certificates: []tls.Certificate{*cert},
			ClientCAs:    pool,
			ClientAuth:   auth,
			MinVersion:   minV,
			NextProtos:   o.NextProtos,
		}
		return c, leafAttrs("certificate", cert), nil
	}}
	if err := r.start(); err != nil {
		return nil, err
	}
	s := &Server{r: r}
	s.base = &tls.Config{
		MinVersion: minV,
		NextProtos: o.NextProtos,
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			return s.r.get(), nil
		},
	}
	return s, nil
}

// Config is the configuration to serve with (a TLS listener, gRPC
// credentials): each handshake gets the current certificate and client CAs.
func (s *Server) Config() *tls.Config { return s.base }

// Current returns the configuration the next handshake would get, checking
// the files first if a check is due. Do not modify it.
func (s *Server) Current() *tls.Config { return s.r.get() }

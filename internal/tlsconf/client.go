package tlsconf

import (
	"crypto/tls"
)

// ClientFiles are a client's TLS settings, as its config keys say them.
type ClientFiles struct {
	CAFile     string // ca_file: CAs that verify the server; empty: the system's
	CertFile   string // cert_file: a client certificate, for servers that ask (mTLS)
	KeyFile    string // key_file: its private key
	ServerName string // server_name: the name to verify instead of the dialled host
	MinVersion string // min_version: 1.2 (default) or 1.3
}

// Client gives the current configuration to dial with.
type Client struct {
	r *reloader[tls.Config]
}

// NewClient loads f; prefix starts its errors ("http client"). The files
// are read now and must load.
func NewClient(prefix string, f ClientFiles, o Options) (*Client, error) {
	o = o.withDefaults()
	if err := pairFiles(prefix, "cert_file", f.CertFile, "key_file", f.KeyFile); err != nil {
		return nil, err
	}
	minV, err := parseMinVersion(prefix, f.MinVersion)
	if err != nil {
		return nil, err
	}
	var paths []string
	for _, p := range []string{f.CAFile, f.CertFile, f.KeyFile} {
		if p != "" {
			paths = append(paths, p)
		}
	}
	r := &reloader[tls.Config]{paths: paths, what: prefix, opts: o, load: func() (*tls.Config, []any, error) {
		c := &tls.Config{ServerName: f.ServerName, MinVersion: minV, NextProtos: o.NextProtos}
		var attrs []any
		if f.CAFile != "" {
			pool, err := loadPool(prefix, "ca_file", f.CAFile)
			if err != nil {
				return nil, nil, err
			}
			c.RootCAs = pool
		}
		if f.CertFile != "" {
			cert, err := loadKeyPair(prefix, "cert_file", f.CertFile, "key_file", f.KeyFile)
			if err != nil {
				return nil, nil, err
			}
			c.Certificates = []tls.Certificate{*cert}
			attrs = leafAttrs("certificate", cert)
		}
		return c, attrs, nil
	}}
	if err := r.start(); err != nil {
		return nil, err
	}
	return &Client{r: r}, nil
}

// Config returns the configuration to dial the next connection with,
// checking the files first if a check is due. Clone it before changing it.
func (c *Client) Config() *tls.Config { return c.r.get() }

package email

import (
	"crypto/tls"
)

// tlsConfig is the TLS configuration for the server at host: its
// certificate checked against CAFile (or the system's roots) for
// ServerName (or host), TLS 1.2 at least.
func tlsConfig(s SMTPConfig, host string) (*tls.Config, error) {
	c := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	if s.ServerName != "" {
		c.ServerName = s.ServerName
	}
	if s.CAFile != "" {
		pool, err := loadCA(s.CAFile)
		if err != nil {
			return nil, err
		}
		c.RootCAs = pool
	}
	return c, nil
}

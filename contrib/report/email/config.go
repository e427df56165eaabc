package email

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"os"
	"strconv"
	"text/template"
	"time"
)

// Config is the email section of a service's config. Every key is named
// in the errors of Validate as it is spelled in the config file
// (email.smtp.addr, email.to ...).
type Config struct {
	SMTP SMTPConfig `yaml:"smtp"`
	// From is the sender, "gox alerts <alerts@example.com>" or a bare
	// address. Required.
	From string `yaml:"from"`
	// To are the recipients. At least one.
	To []string `yaml:"to"`
	// Subject is a text/template of the subject line over Subject's
	// fields: .Service, .Environment, .Version, .Code, .Reason,
	// .Operation, .Kind, .Count, .Panic. Empty: DefaultSubject.
	Subject string `yaml:"subject"`
	// Window is how long identical failures are folded into one group: the
	// first is mailed at once, those that follow within the window are
	// counted and mailed together, as one email with their count, when the
	// window ends.
	Window time.Duration `yaml:"window"`
	// MaxPerHour caps the emails sent in any hour, so that an outage
	// cannot send thousands of them. Those over the cap are not sent: they
	// are counted, logged, and the next email that goes out says how
	// many were held back.
	MaxPerHour int `yaml:"max_per_hour"`
	// MaxGroups bounds the groups remembered at once (the memory an outage
	// of many distinct failures can take). A failure that finds the table
	// full is mailed on its own, ungrouped, still under MaxPerHour.
	MaxGroups int `yaml:"max_groups"`
}

// SMTPConfig says how to reach the SMTP server.
type SMTPConfig struct {
	// Addr is the server's host:port: 587 for STARTTLS, 465 for TLS,
	// 25 for relays. Required.
	Addr string `yaml:"addr"`
	// TLS is how the connection is encrypted:
	//   starttls      plain connection upgraded by STARTTLS, refused
	//                 when the server does not offer it (the default)
	//   opportunistic STARTTLS when the server offers it, else in the clear
	//   implicit      TLS from the first byte (SMTPS, port 465)
	//   none          in the clear: a relay on localhost, a test server
	TLS string `yaml:"tls"`
	// ServerName is the name the server's certificate must carry; empty:
	// the host of Addr.
	ServerName string `yaml:"server_name"`
	// CAFile is a PEM file of the CAs that sign the server's certificate,
	// for a server with a private CA; empty: the system's roots.
	CAFile string `yaml:"ca_file"`
	// Auth is none (the default), plain or login. Both send the password,
	// so they need an encrypted connection (tls starttls or implicit).
	Auth     string `yaml:"auth"`
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	// Timeout bounds one email: connecting, the SMTP conversation and the
	// upload. A server that is down or silent fails the email after it.
	Timeout time.Duration `yaml:"timeout"`
	// Backoff is how long after a failed email the reporter stops trying:
	// emails in that time fail at once (counted with the failed ones), so
	// an SMTP outage costs one Timeout per Backoff, not one per failure.
	Backoff time.Duration `yaml:"backoff"`
	// HELO is the name given in EHLO; empty: the host name.
	HELO string `yaml:"helo"`
}

// TLS modes of SMTPConfig.TLS.
const (
	TLSStartTLS      = "starttls"
	TLSOpportunistic = "opportunistic"
	TLSImplicit      = "implicit"
	TLSNone          = "none"
)

// Auth mechanisms of SMTPConfig.Auth.
const (
	AuthNone  = "none"
	AuthPlain = "plain"
	AuthLogin = "login"
)

// DefaultSubject is the subject template when Config.Subject is empty:
// "[production] users: 500 INTERNAL in GET /v1/users/:id (x12)".
const DefaultSubject = `[{{.Environment}}] {{.Service}}: {{.Code}}{{with .Reason}} {{.}}{{end}}{{if .Panic}} panic{{end}} in {{.Operation}}{{if gt .Count 1}} (x{{.Count}}){{end}}`

// DefaultConfig groups identical failures for 5 minutes, sends at most 30
// emails an hour, remembers 1000 groups, and gives an email 10 seconds;
// after a failure it waits 30 seconds before trying again. The connection
// must be upgraded by STARTTLS. Server, sender and recipients are left to
// the service.
func DefaultConfig() Config {
	return Config{
		SMTP:   SMTPConfig{TLS: TLSStartTLS, Auth: AuthNone, Timeout: 10 * time.Second, Backoff: 30 * time.Second},
		Window: 5 * time.Minute, MaxPerHour: 30, MaxGroups: 1000,
	}
}

// Validate reports the first invalid key, named as in the config file. It
// reads CAFile. A password is never repeated in a message.
func (c Config) Validate() error {
	if err := c.SMTP.validate(); err != nil {
		return err
	}
	if c.From == "" {
		return errors.New("email.from is empty; give the sender, name <address> or an address")
	}
	if _, err := mail.ParseAddress(c.From); err != nil {
		return fmt.Errorf("email.from %q is not an email address: %v", c.From, err)
	}
	if len(c.To) == 0 {
		return errors.New("email.to is empty; give at least one recipient")
	}
	for i, to := range c.To {
		if _, err := mail.ParseAddress(to); err != nil {
			return fmt.Errorf("email.to[%d] %q is not an email address: %v", i, to, err)
		}
	}
	if _, err := parseSubject(c.Subject); err != nil {
		return fmt.Errorf("email.subject: %v", err)
	}
	switch {
	case c.Window < 0:
		return fmt.Errorf("email.window %v is negative; 0 mails every failure on its own", c.Window)
	case c.MaxPerHour <= 0:
		return fmt.Errorf("email.max_per_hour %d must be positive: it is what keeps an outage from sending thousands of emails", c.MaxPerHour)
	case c.MaxGroups <= 0:
		return fmt.Errorf("email.max_groups %d must be positive", c.MaxGroups)
	}
	return nil
}

func (s SMTPConfig) validate() error {
	if s.Addr == "" {
		return errors.New("email.smtp.addr is empty; give the SMTP server's host:port")
	}
	host, port, err := net.SplitHostPort(s.Addr)
	if err != nil {
		return fmt.Errorf("email.smtp.addr %q is not host:port: %v", s.Addr, err)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return fmt.Errorf("email.smtp.addr %q: port %q is not a number from 1 to 65535", s.Addr, port)
	}
	if host == "" {
		return fmt.Errorf("email.smtp.addr %q has no host", s.Addr)
	}
	switch s.TLS {
	case TLSStartTLS, TLSOpportunistic, TLSImplicit, TLSNone:
	default:
		return fmt.Errorf("email.smtp.tls %q is not starttls, opportunistic, implicit or none", s.TLS)
	}
	switch s.Auth {
	case "", AuthNone:
	case AuthPlain, AuthLogin:
		if s.TLS == TLSNone {
			return fmt.Errorf("email.smtp.auth %s sends the password in the clear: set email.smtp.tls to starttls or implicit", s.Auth)
		}
		if s.Username == "" {
			return fmt.Errorf("email.smtp.username is empty but email.smtp.auth is %s", s.Auth)
		}
	default:
		return fmt.Errorf("email.smtp.auth %q is not none, plain or login", s.Auth)
	}
	if s.CAFile != "" {
		if _, err := loadCA(s.CAFile); err != nil {
			return err
		}
	}
	switch {
	case s.Timeout <= 0:
		return fmt.Errorf("email.smtp.timeout %v must be positive: it bounds how long an SMTP server that is down holds a report", s.Timeout)
	case s.Backoff < 0:
		return fmt.Errorf("email.smtp.backoff %v is negative", s.Backoff)
	}
	return nil
}

func loadCA(file string) (*x509.CertPool, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("email.smtp.ca_file: %v", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("email.smtp.ca_file %s holds no PEM certificate", file)
	}
	return pool, nil
}

func parseSubject(s string) (*template.Template, error) {
	if s == "" {
		s = DefaultSubject
	}
	t, err := template.New("subject").Option("missingkey=error").Parse(s)
	if err != nil {
		return nil, err
	}
	// A field that Subject does not have fails here, at start, not at the
	// first failure.
	if _, err := renderSubject(t, Subject{Service: "svc", Code: 500, Operation: "op", Count: 2}); err != nil {
		return nil, err
	}
	return t, nil
}

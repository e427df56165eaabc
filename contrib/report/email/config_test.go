package email

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func validConfig() Config {
	c := DefaultConfig()
	c.SMTP.Addr = "smtp.example.com:587"
	c.From = "alerts@example.com"
	c.To = []string{"ops@example.com", "Oncall <oncall@example.com>"}
	return c
}

func TestConfigErrorsNameTheKey(t *testing.T) {
	notPEM := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		edit func(*Config)
		want string
	}{
		{func(c *Config) { c.SMTP.Addr = "" }, "email.smtp.addr is empty"},
		{func(c *Config) { c.SMTP.Addr = "smtp.example.com" }, `email.smtp.addr "smtp.example.com" is not host:port`},
		{func(c *Config) { c.SMTP.Addr = "smtp.example.com:smtp" }, `email.smtp.addr "smtp.example.com:smtp": port "smtp"`},
		{func(c *Config) { c.SMTP.Addr = "smtp.example.com:70000" }, "port \"70000\" is not a number from 1 to 65535"},
		{func(c *Config) { c.SMTP.Addr = ":25" }, `email.smtp.addr ":25" has no host`},
		{func(c *Config) { c.SMTP.TLS = "ssl" }, `email.smtp.tls "ssl" is not starttls, opportunistic, implicit or none`},
		{func(c *Config) { c.SMTP.TLS = "" }, `email.smtp.tls ""`},
		{func(c *Config) { c.SMTP.Auth = "cram-md5" }, `email.smtp.auth "cram-md5" is not none, plain or login`},
		{func(c *Config) { c.SMTP.Auth, c.SMTP.Username = AuthPlain, "" }, "email.smtp.username is empty but email.smtp.auth is plain"},
		{func(c *Config) { c.SMTP.Auth, c.SMTP.Username, c.SMTP.TLS = AuthLogin, "u", TLSNone }, "email.smtp.auth login sends the password in the clear"},
		{func(c *Config) { c.SMTP.CAFile = "/nonexistent/ca.pem" }, "email.smtp.ca_file: open /nonexistent/ca.pem"},
		{func(c *Config) { c.SMTP.CAFile = notPEM }, "email.smtp.ca_file " + notPEM + " holds no PEM certificate"},
		{func(c *Config) { c.SMTP.Timeout = 0 }, "email.smtp.timeout 0s must be positive"},
		{func(c *Config) { c.SMTP.Backoff = -time.Second }, "email.smtp.backoff -1s is negative"},
		{func(c *Config) { c.From = "" }, "email.from is empty"},
		{func(c *Config) { c.From = "alerts" }, `email.from "alerts" is not an email address`},
		{func(c *Config) { c.To = nil }, "email.to is empty"},
		{func(c *Config) { c.To = []string{"ops@example.com", "oncall"} }, `email.to[1] "oncall" is not an email address`},
		{func(c *Config) { c.Subject = "{{.Service" }, "email.subject: template: subject:1: unclosed action"},
		{func(c *Config) { c.Subject = "{{.Host}}" }, "email.subject: template: subject:1:2: executing \"subject\" at <.Host>: can't evaluate field Host"},
		{func(c *Config) { c.Window = -time.Second }, "email.window -1s is negative"},
		{func(c *Config) { c.MaxPerHour = 0 }, "email.max_per_hour 0 must be positive"},
		{func(c *Config) { c.MaxGroups = 0 }, "email.max_groups 0 must be positive"},
	} {
		c := validConfig()
		tc.edit(&c)
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate: %v, want an error containing %q", err, tc.want)
		}
		if _, err := New(c); err == nil {
			t.Errorf("New accepted the config that Validate refuses with %q", tc.want)
		}
	}
}

func TestConfigNeverShowsThePassword(t *testing.T) {
	c := validConfig()
	c.SMTP.Auth, c.SMTP.Username, c.SMTP.Password, c.SMTP.TLS = AuthPlain, "u", "hunter2", TLSNone
	if err := c.Validate(); err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("error %v", err)
	}
}

func TestValidConfigs(t *testing.T) {
	for _, edit := range []func(*Config){
		func(*Config) {},
		func(c *Config) { c.SMTP.TLS, c.SMTP.Addr = TLSImplicit, "[::1]:465" },
		func(c *Config) { c.SMTP.Auth, c.SMTP.Username = AuthLogin, "alerts" },
		func(c *Config) { c.Subject = "ALERT {{.Service}} {{.Operation}} x{{.Count}}" },
		func(c *Config) { c.Window = 0 },
	} {
		c := validConfig()
		edit(&c)
		if err := c.Validate(); err != nil {
			t.Errorf("%+v: %v", c, err)
		}
	}
}

package email

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/goxkit/gox/goxtest"
)

const hint = "run scripts/test.sh, or build mailpit (source ci/lib.sh ci/mailpit.sh; install_mailpit) and " +
	"start it with start_mailpit, which exports SMTP_ADDR and MAILPIT_API"

// mailpit is a running Mailpit: where to send, and its HTTP API.
type mailpit struct {
	smtp string // host:port
	api  string // http://host:port/api/v1
}

// sharedMailpit is the Mailpit of SMTP_ADDR and MAILPIT_API (CI starts it
// with ci/mailpit.sh). Without them it fails in CI; elsewhere it starts
// one from tools/bin or PATH, or skips when there is none.
func sharedMailpit(t *testing.T) mailpit {
	t.Helper()
	smtp, api := os.Getenv("SMTP_ADDR"), os.Getenv("MAILPIT_API")
	if smtp != "" && api != "" {
		return mailpit{smtp: smtp, api: strings.TrimSuffix(api, "/")}
	}
	if os.Getenv("CI") != "" {
		goxtest.RequireEnv(t, "SMTP_ADDR", hint)
		goxtest.RequireEnv(t, "MAILPIT_API", hint)
	}
	return startMailpit(t)
}

// startMailpit starts a Mailpit of the test's own with args added (TLS,
// authentication).
func startMailpit(t *testing.T, args ...string) mailpit {
	t.Helper()
	mp, _ := runMailpit(t, "", "", args...)
	return mp
}

// runMailpit starts a Mailpit on smtpAddr and httpAddr (free ports when
// empty) and returns it with the stop of its process, so a test can take
// the server down and bring it back on the same ports.
func runMailpit(t *testing.T, smtpAddr, httpAddr string, args ...string) (mailpit, func()) {
	t.Helper()
	bin := mailpitBinary(t)
	if smtpAddr == "" {
		ports := goxtest.FreePorts(t, 2)
		smtpAddr, httpAddr = fmt.Sprintf("127.0.0.1:%d", ports[0]), fmt.Sprintf("127.0.0.1:%d", ports[1])
	}
	mp := mailpit{smtp: smtpAddr, api: "http://" + httpAddr + "/api/v1"}
	cmd := exec.Command(bin, append([]string{"--smtp", smtpAddr, "--listen", httpAddr,
		"--database", filepath.Join(t.TempDir(), "mailpit.db"), "--disable-version-check", "--smtp-disable-rdns"}, args...)...)
	stop := goxtest.StartServer(t, cmd, 30*time.Second, func() bool {
		resp, err := http.Get("http://" + httpAddr + "/readyz")
		if err != nil {
			return false
		}
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusOK && goxtest.TCPOpen(smtpAddr)
	})
	return mp, stop
}

func mailpitBinary(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("mailpit"); err == nil {
		return p
	}
	if p, err := filepath.Abs("../../../tools/bin/mailpit"); err == nil {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return goxtest.RequireBinary(t, "mailpit", hint)
}

var inboxSeq atomic.Int64

// inbox is a recipient no other test sends to, so that a shared Mailpit's
// messages can be told apart.
func inbox(t *testing.T) string {
	name := strings.Map(func(r rune) rune {
		if 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' {
			return r
		}
		return '-'
	}, t.Name())
	return fmt.Sprintf("%s-%d-%d@example.test", strings.ToLower(name), os.Getpid(), inboxSeq.Add(1))
}

// summary is a message as Mailpit lists it.
type summary struct {
	ID      string
	Subject string
	To      []struct{ Address string }
}

// message is a message in full, as Mailpit's message API gives it.
type message struct {
	ID      string
	Subject string
	From    struct{ Address, Name string }
	To      []struct{ Address string }
	Text    string
	Attach  []part `json:"Attachments"`
}

type part struct {
	PartID, FileName, ContentType string
	Size                          int
}

// messages waits until Mailpit holds n messages for to and returns them
// in full, oldest first.
func (mp mailpit) messages(t *testing.T, to string, n int) []message {
	t.Helper()
	var list []summary
	goxtest.Eventually(t, 10*time.Second, func() bool {
		list = mp.search(t, to)
		return len(list) >= n
	})
	if len(list) != n {
		t.Fatalf("Mailpit holds %d messages for %s, want %d: %+v", len(list), to, n, list)
	}
	out := make([]message, n)
	for i, s := range list {
		mp.get(t, "/message/"+s.ID, &out[n-1-i]) // the list is newest first
	}
	return out
}

// count returns how many messages Mailpit holds for to now.
func (mp mailpit) count(t *testing.T, to string) int { return len(mp.search(t, to)) }

func (mp mailpit) search(t *testing.T, to string) []summary {
	t.Helper()
	var res struct{ Messages []summary }
	mp.get(t, "/search?query="+url.QueryEscape(`to:"`+to+`"`), &res)
	return res.Messages
}

func (mp mailpit) get(t *testing.T, path string, v any) {
	t.Helper()
	b := mp.raw(t, path)
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("Mailpit %s: %v: %s", path, err, b)
	}
}

// raw returns the body of an API path: an attachment's bytes, say.
func (mp mailpit) raw(t *testing.T, path string) []byte {
	t.Helper()
	resp, err := http.Get(mp.api + path)
	if err != nil {
		t.Fatalf("Mailpit API: %v", err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("Mailpit %s: %d %v: %s", path, resp.StatusCode, err, b)
	}
	return b
}

// headers returns a message's headers.
func (mp mailpit) headers(t *testing.T, id string) map[string][]string {
	t.Helper()
	var h map[string][]string
	mp.get(t, "/message/"+id+"/headers", &h)
	return h
}

package ui_test

import (
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/goxkit/gox/goxtest"
	"github.com/goxkit/gox/middleware/governance/ui"
	xhttp "github.com/goxkit/gox/transport/http"
)

// Chromium, given the password, shows the page mounted as the package doc
// says: the rules, the shedder, an operation's counts and the breakers of
// the service called; without the password there is no page.
func TestPageInChromium(t *testing.T) {
	goxtest.RequireBinary(t, "chromium", "apt-get install chromium") // before anything starts
	hc := xhttp.DefaultConfig()
	hc.Addr = "127.0.0.1:0"
	srv, err := xhttp.NewServer(hc)
	if err != nil {
		t.Fatal(err)
	}
	page := ui.Handler(fixture(t))
	srv.Engine().Any("/resilience/*any", gin.BasicAuth(gin.Accounts{"admin": "s3cret"}), gin.WrapH(http.StripPrefix("/resilience", page)))
	u, err := srv.Endpoint()
	if err != nil {
		t.Fatal(err)
	}
	goxtest.Serve(t, srv)

	dom := goxtest.BrowserDOM(t, "http://admin:s3cret@"+u.Host+"/resilience/?refresh=5")
	if !strings.Contains(dom, "<title>shop · resilience</title>") {
		t.Fatalf("no page:\n%s", dom)
	}
	for _, c := range []struct{ what, open, want string }{
		{"rule #1", `<tr class="rule" data-rule="0">`, "#1 exact GET /users/:id 1 per 1h0m0s, burst 1, token_bucket 1 0.0 — — normal none"},
		{"rule #2", `<tr class="rule" data-rule="1">`, "#2 prefix /billing.v1.Billing/ none — — 1 2s critical cached"},
		{"rule #3", `<tr class="rule" data-rule="2">`, "#3 exact GET /<script>alert(1)</script> none — — — — low none"},
		{"the shedder", `<dl id="shedder" data-state="on">`, "State on, not shedding CPU"},
		// kind, name, rule, bulkhead, typical latency, then admitted,
		// rate_limited, concurrency_limited, shed, deadline_too_short,
		// limiter_error, fallback
		{"GET /users/:id", `<tr class="operation" data-kind="http" data-operation="GET /users/:id">`, "http GET /users/:id #1 — — 1 1 0 0 0 0 0"},
		{"Charge", `<tr class="operation" data-kind="grpc" data-operation="/billing.v1.Billing/Charge">`, "grpc /billing.v1.Billing/Charge #2 1 / 1"},
		{"billing-0", `<tr class="breaker" data-address="10.0.0.1:8000" data-state="healthy">`, "billing-0 10.0.0.1:8000 healthy 3 3 0%"},
		{"billing-1", `<tr class="breaker" data-address="10.0.0.2:8000" data-state="ejected">`, "billing-1 10.0.0.2:8000 ejected until"},
	} {
		if got := seen(dom, c.open); !strings.HasPrefix(got, c.want) {
			t.Errorf("%s reads\n  %q\nwant it to start with\n  %q", c.what, got, c.want)
		}
	}
	if got := seen(dom, `<tr class="operation" data-kind="grpc" data-operation="/billing.v1.Billing/Charge">`); !strings.HasSuffix(got, " 21 0 1 0 0 0 1") {
		t.Errorf("Charge's counts read %q; want 21 admitted, 1 concurrency limited, 1 fallback", got)
	}
	if got := seen(dom, `<tr class="breaker" data-address="10.0.0.2:8000" data-state="ejected">`); !strings.HasSuffix(got, " 2 0 0%") {
		t.Errorf("billing-1's breaker reads %q; want 2 requests, 0 accepts", got)
	}
	for _, want := range []string{`<meta http-equiv="refresh" content="5">`, `<section class="service" data-service="billing">`} {
		if !strings.Contains(dom, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	if strings.Contains(dom, "<script") {
		t.Error("an operation name became a script element")
	}
	if dom := goxtest.BrowserDOM(t, "http://"+u.Host+"/resilience/"); strings.Contains(dom, "data-rule") {
		t.Fatal("the page rendered without the password")
	}
}

var tags = regexp.MustCompile(`<[^>]*>`)

// seen returns the text a user reads in the element dom opens with open:
// its tags dropped, entities decoded, spaces collapsed.
func seen(dom, open string) string {
	i := strings.Index(dom, open)
	if i < 0 {
		return ""
	}
	rest := dom[i+len(open):]
	end := strings.Index(rest, "</tr>")
	if strings.HasPrefix(open, "<dl") {
		end = strings.Index(rest, "</dl>")
	}
	if end < 0 {
		return ""
	}
	return strings.Join(strings.Fields(html.UnescapeString(tags.ReplaceAllString(rest[:end], " "))), " ")
}

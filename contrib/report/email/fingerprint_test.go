package email

import (
	"strings"
	"testing"
	"time"

	"github.com/goxkit/gox/report"
)

const panicStack = `goroutine 42 [running]:
runtime/debug.Stack()
	/usr/local/go/src/runtime/debug/stack.go:26 +0x5e
github.com/acme/users.(*Handler).Get(0xc000123450, {0x1a2b3c, 0xc000ab0000}, 0x7)
	/src/users/handler.go:88 +0x1d
created by net/http.(*Server).Serve in goroutine 1
	/usr/local/go/src/net/http/server.go:3285 +0x4b4
`

func TestNormalizeStackKeepsWhereAndDropsNoise(t *testing.T) {
	other := strings.NewReplacer("goroutine 42", "goroutine 7", "0xc000123450", "0xc000999990", "0x7)", "0x9)",
		"+0x1d", "+0x2f", "in goroutine 1", "in goroutine 3").Replace(panicStack)
	if normalizeStack(panicStack) != normalizeStack(other) {
		t.Errorf("the same place on two goroutines normalizes differently:\n%s\n---\n%s", normalizeStack(panicStack), normalizeStack(other))
	}
	want := `runtime/debug.Stack
/usr/local/go/src/runtime/debug/stack.go:26
github.com/acme/users.(*Handler).Get
/src/users/handler.go:88
created by net/http.(*Server).Serve
/usr/local/go/src/net/http/server.go:3285
`
	if got := normalizeStack(panicStack); got != want {
		t.Errorf("normalized:\n%s\nwant:\n%s", got, want)
	}
	// gox errors' Stack has no arguments nor offsets: it is kept as it is.
	goxStack := "github.com/acme/users.(*Handler).Get\n\t/src/users/handler.go:88\n"
	if got := normalizeStack(goxStack); got != "github.com/acme/users.(*Handler).Get\n/src/users/handler.go:88\n" {
		t.Errorf("gox stack normalized to %q", got)
	}
	// Another line is another place.
	if normalizeStack(panicStack) == normalizeStack(strings.Replace(panicStack, "handler.go:88", "handler.go:91", 1)) {
		t.Error("two lines of a file normalize the same")
	}
}

func TestFingerprintIsCodeOperationAndStack(t *testing.T) {
	base := &report.Report{Code: 500, Operation: "GET /v1/users/:id", Stack: panicStack, Message: "a", RequestID: "1"}
	same := *base
	same.Message, same.RequestID, same.Time = "b", "2", time.Now()
	if fingerprint(base) != fingerprint(&same) {
		t.Error("message, request id and time changed the fingerprint")
	}
	for name, edit := range map[string]func(*report.Report){
		"code":      func(r *report.Report) { r.Code = 503 },
		"operation": func(r *report.Report) { r.Operation = "GET /v1/orders/:id" },
		"stack":     func(r *report.Report) { r.Stack = strings.Replace(r.Stack, ":88", ":91", 1) },
	} {
		r := *base
		edit(&r)
		if fingerprint(base) == fingerprint(&r) {
			t.Errorf("another %s, the same fingerprint", name)
		}
	}
}

func TestGroupTableIsBounded(t *testing.T) {
	now := time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)
	g := newGroups(time.Minute, 2)
	r := &report.Report{Operation: "op"}
	for i, key := range []string{"a", "b", "c"} {
		a := g.add(key, r, now)
		if a == nil || (a.group == "") != (i == 2) {
			t.Fatalf("%s: alert %+v; the third group, over max_groups, must be mailed ungrouped", key, a)
		}
	}
	if len(g.m) != 2 {
		t.Fatalf("%d groups held, max 2", len(g.m))
	}
	// Once the windows have ended quiet, room is made for a new group.
	now = now.Add(time.Minute)
	if a := g.add("c", r, now); a == nil || a.group != "c" {
		t.Fatalf("alert %+v, want grouped under c", a)
	}
}

func TestLimiterSlidesOverAnHour(t *testing.T) {
	now := time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)
	l := limiter{max: 2, period: time.Hour}
	if !l.allow(now) || !l.allow(now.Add(30*time.Minute)) || l.allow(now.Add(59*time.Minute)) {
		t.Fatal("two emails in an hour allowed, a third not")
	}
	if !l.allow(now.Add(61 * time.Minute)) {
		t.Error("the first email left the hour, one more is allowed")
	}
	if l.allow(now.Add(62 * time.Minute)) {
		t.Error("a second one is not")
	}
}

func FuzzNormalizeStack(f *testing.F) {
	f.Add(panicStack)
	f.Add("main.f(...)\n\tx.go:1 +0x\ngoroutine :\n")
	f.Add("0x0x0xfff(()")
	f.Fuzz(func(t *testing.T, s string) {
		n := normalizeStack(s)
		if normalizeStack(n) != n {
			t.Errorf("not idempotent: %q -> %q -> %q", s, n, normalizeStack(n))
		}
		if strings.Count(n, "\n") > maxStackLines {
			t.Errorf("%d lines, at most %d", strings.Count(n, "\n"), maxStackLines)
		}
	})
}

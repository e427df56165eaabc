package email

import (
	"time"

	"github.com/goxkit/gox/report"
)

// alert is one email to send: a report and, for a group, how many times
// it happened.
type alert struct {
	r *report.Report
	// group is the fingerprint; empty for a report mailed ungrouped.
	group string
	// count is how many failures the email stands for; first and last are
	// when the first and the last of them happened.
	count       int
	first, last time.Time
}

// group is the state of one fingerprint: its window, and the failures
// folded into it since its last email.
type group struct {
	start       time.Time      // the window's start: the last email's time
	pending     int            // failures since the last email
	first, last time.Time      // of the pending failures
	r           *report.Report // the last pending failure, without attachments
}

// groups folds identical failures. Not safe for concurrent use: the
// Reporter's mutex guards it. Every method takes the time, so the
// windows run on whatever clock the Reporter has.
type groups struct {
	window time.Duration
	max    int
	m      map[string]*group
}

func newGroups(window time.Duration, max int) *groups {
	return &groups{window: window, max: max, m: make(map[string]*group)}
}

// add takes a failure. It returns the alert to mail now, or nil when the
// failure is folded into its group's window. A failure whose group's
// window has ended while failures were pending is mailed with them.
func (g *groups) add(key string, r *report.Report, now time.Time) *alert {
	if g.window <= 0 {
		return &alert{r: r, count: 1, first: now, last: now}
	}
	gr, ok := g.m[key]
	if ok && now.Before(gr.start.Add(g.window)) {
		gr.pending++
		gr.last = now
		if gr.pending == 1 {
			gr.first = now
		}
		gr.r = withoutAttachments(r)
		return nil
	}
	if ok {
		a := &alert{r: r, group: key, count: gr.pending + 1, first: now, last: now}
		if gr.pending > 0 {
			a.first = gr.first
		}
		gr.start, gr.pending, gr.r = now, 0, nil
		return a
	}
	if len(g.m) >= g.max {
		g.sweep(now)
	}
	if len(g.m) >= g.max {
		return &alert{r: r, count: 1, first: now, last: now} // ungrouped
	}
	g.m[key] = &group{start: now}
	return &alert{r: r, group: key, count: 1, first: now, last: now}
}

// due returns the alerts of the groups whose window has ended with
// failures pending; each such group starts a new window, so a failure
// that goes on is mailed once a window. A group whose window ended quiet
// is forgotten: its next failure is mailed at once.
func (g *groups) due(now time.Time) []*alert {
	var out []*alert
	for key, gr := range g.m {
		if now.Before(gr.start.Add(g.window)) {
			continue
		}
		if gr.pending == 0 {
			delete(g.m, key)
			continue
		}
		out = append(out, gr.take(key))
		gr.start = now
	}
	return out
}

// flush returns the alerts of every group with failures pending, window
// ended or not: what a stopping service must not lose.
func (g *groups) flush() []*alert {
	var out []*alert
	for key, gr := range g.m {
		if gr.pending > 0 {
			out = append(out, gr.take(key))
		}
	}
	return out
}

func (gr *group) take(key string) *alert {
	a := &alert{r: gr.r, group: key, count: gr.pending, first: gr.first, last: gr.last}
	gr.pending, gr.r = 0, nil
	return a
}

// sweep forgets the groups whose window ended with nothing pending.
func (g *groups) sweep(now time.Time) {
	for key, gr := range g.m {
		if gr.pending == 0 && !now.Before(gr.start.Add(g.window)) {
			delete(g.m, key)
		}
	}
}

// withoutAttachments keeps a failure for a later email without holding
// its attachments (a profile can be megabytes) for a whole window: they
// went with the group's first email.
func withoutAttachments(r *report.Report) *report.Report {
	if len(r.Attachments) == 0 {
		return r
	}
	c := *r
	c.Attachments = nil
	return &c
}

// limiter allows at most max emails in any period (a sliding window of
// the send times).
type limiter struct {
	max    int
	period time.Duration
	sent   []time.Time
}

// allow records an email at now and says yes, or says no when max were
// already sent in the period before now.
func (l *limiter) allow(now time.Time) bool {
	cut := now.Add(-l.period)
	i := 0
	for i < len(l.sent) && !l.sent[i].After(cut) {
		i++
	}
	l.sent = l.sent[i:]
	if len(l.sent) >= l.max {
		return false
	}
	l.sent = append(l.sent, now)
	return true
}

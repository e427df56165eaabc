package sentry

import (
	"context"
	"net/http"
)

// result is what became of the one event being sent.
type result struct {
	sent    bool
	status  int
	err     error
	release func() // ends the requests' tie to Report's context
}

// roundTripper sends the requests of sentry-go's synchronous transport so
// that the context given to Report (and Close's) ends them too, and notes
// their outcome, which sentry-go only writes to its debug log. It follows
// one event at a time: begin and end are called with the Reporter's
// semaphore held, around the CaptureEvent call that runs RoundTrip on the
// same goroutine.
type roundTripper struct {
	next http.RoundTripper

	ctx, stop context.Context
	res       *result
}

func (t *roundTripper) begin(ctx, stop context.Context, res *result) {
	t.ctx, t.stop, t.res = ctx, stop, res
}

func (t *roundTripper) end() {
	if t.res != nil && t.res.release != nil {
		t.res.release()
	}
	t.ctx, t.stop, t.res = nil, nil, nil
}

func (t *roundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	res := t.res
	if res == nil { // not an event of Report's (none is sent otherwise): as is
		return t.next.RoundTrip(req)
	}
	// The request's context carries the client's timeout; Report's and
	// Close's contexts cancel it as well, until Report is done with the
	// answer (sentry-go reads the body after RoundTrip returns).
	ctx, cancel := context.WithCancelCause(req.Context())
	reportCtx, closeCtx := t.ctx, t.stop // end clears the fields while a callback may run
	stopReport := context.AfterFunc(reportCtx, func() { cancel(context.Cause(reportCtx)) })
	stopClose := context.AfterFunc(closeCtx, func() { cancel(context.Cause(closeCtx)) })
	prev := res.release
	res.release = func() {
		stopReport()
		stopClose()
		cancel(nil)
		if prev != nil {
			prev()
		}
	}
	resp, err := t.next.RoundTrip(req.WithContext(ctx))
	res.sent = true
	if err != nil {
		res.err = err
		return nil, err
	}
	res.status = resp.StatusCode
	return resp, nil
}

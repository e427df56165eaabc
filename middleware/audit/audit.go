package audit

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/goxkit/gox/broker"
	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/middleware"
	"github.com/goxkit/gox/middleware/auth"
	"github.com/goxkit/gox/transport"
)

// Auditor writes the audit records of the operations it selects. It is
// safe for concurrent use; make one per service.
type Auditor struct {
	c        Config
	match    []middleware.Matcher
	sinks    []Sink
	logger   *slog.Logger
	now      func() time.Time
	red      redactor
	fields   [][]string // Config.ResourceFields, split at "."
	failures atomic.Uint64
}

// Option configures an Auditor.
type Option func(*Auditor)

// WithSink adds sinks every record is written to, in order.
func WithSink(s ...Sink) Option { return func(a *Auditor) { a.sinks = append(a.sinks, s...) } }

// WithLogger sets where a sink's failure is logged (slog.Default() otherwise).
func WithLogger(l *slog.Logger) Option { return func(a *Auditor) { a.logger = l } }

// WithClock sets the clock of the records' time and latency (time.Now
// otherwise); tests pass a fake one.
func WithClock(now func() time.Time) Option { return func(a *Auditor) { a.now = now } }

// WithMatcher audits the operations m matches too (middleware.Regex, ...).
func WithMatcher(m middleware.Matcher) Option {
	return func(a *Auditor) { a.match = append(a.match, m) }
}

// New returns an Auditor for c, or an error naming the invalid key. Without
// a sink records go nowhere: give LogSink, BrokerSink or both.
func New(c Config, opts ...Option) (*Auditor, error) {
	c = c.withDefaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	a := &Auditor{c: c, now: time.Now, red: newRedactor(c.Redact)}
	if len(c.Operations) > 0 {
		a.match = append(a.match, middleware.Exact(c.Operations...))
	}
	if len(c.Prefixes) > 0 {
		a.match = append(a.match, middleware.Prefix(c.Prefixes...))
	}
	for _, f := range c.ResourceFields {
		a.fields = append(a.fields, strings.Split(f, "."))
	}
	for _, o := range opts {
		o(a)
	}
	if a.logger == nil {
		a.logger = slog.Default()
	}
	return a, nil
}

// Failures is how many times a sink failed (returned an error or
// panicked) since the Auditor was made.
func (a *Auditor) Failures() uint64 { return a.failures.Load() }

func (a *Auditor) selected(op string) bool {
	for _, m := range a.match {
		if m(op) {
			return true
		}
	}
	return false
}

// errPanicked is the outcome of a call whose handler panicked: the
// recovery middleware, further out, turns the panic into a 500.
var errPanicked = errors.Internal(errors.ReasonPanic, "the handler panicked")

// Middleware audits the selected operations of a server chain; others pass
// straight through. Put it after the authentication middleware (auth), so
// that the claims it verified name the subject; a call refused there is not
// audited (the access log has it).
func (a *Auditor) Middleware() middleware.Middleware {
	return func(next middleware.Handler) middleware.Handler {
		return func(ctx context.Context, req any) (reply any, err error) {
			tr, ok := transport.FromServerContext(ctx)
			if !ok || !a.selected(tr.Operation()) {
				return next(ctx, req)
			}
			c := &call{a: a, tr: tr, start: a.now()}
			c.begin(req)
			ctx = context.WithValue(ctx, callKey{}, c)
			if c.decoded.Load() == nil {
				// HTTP (a queue message): the request is decoded after the
				// chain ran, by gox's decoders, which hand it to this hook
				ctx = middleware.NewDecodeHookContext(ctx, c.observe)
			}
			err = errPanicked // what a panic going through leaves
			defer func() { c.finish(ctx, err) }()
			reply, err = next(ctx, req)
			return reply, err
		}
	}
}

// Server returns the audit middleware of New(c, opts...).
func Server(c Config, opts ...Option) (middleware.Middleware, error) {
	a, err := New(c, opts...)
	if err != nil {
		return nil, err
	}
	return a.Middleware(), nil
}

type callKey struct{}

// Observe hands the decoded request of an audited HTTP call to its record:
// its resource fields and, with Config.RecordRequest, its snapshot come
// from req. gox's decoders do it for you (middleware.Decoded): the typed
// handlers of transport/http (JSON, Context.Decode) and the routes gctl
// generates from google.api.http rules. A handler that decodes the body
// some other way (gin's ShouldBindJSON, its own json.Unmarshal) calls
// Observe with the request's context once the body is decoded; it does
// nothing outside an audited call, and the last request observed wins. The
// claims in ctx name the subject when the audit middleware runs before the
// authentication one.
func Observe(ctx context.Context, req any) {
	if c, ok := ctx.Value(callKey{}).(*call); ok {
		c.observe(ctx, req)
	}
}

// Commit writes the record of the audited call in ctx now, as a success,
// to the BrokerSinks, with ctx. Called inside a database transaction
// (contrib/database/xgorm's Transaction) with contrib/broker/dbbroker
// behind the BrokerSink, the record is written in that transaction — the
// outbox: it is stored if and only if the handler's writes commit. When the
// call ends the record goes to the other sinks as usual, and to the
// BrokerSinks again only if the call failed after all (its transaction
// rolled back, or not). Commit returns the sinks' first error, so that the
// handler can roll back a write it cannot audit; outside an audited call
// it does nothing.
func Commit(ctx context.Context) error {
	c, ok := ctx.Value(callKey{}).(*call)
	if !ok {
		return nil
	}
	rec := c.record(ctx, nil, c.a.now())
	if err := c.a.write(ctx, rec, txSinks); err != nil {
		return err
	}
	c.committed.Store(true)
	return nil
}

// call is the state of one audited call.
type call struct {
	a         *Auditor
	tr        transport.Transporter
	start     time.Time
	httpReq   *http.Request
	raw       []byte // the JSON body of an HTTP request or a message, for the snapshot
	rawCut    int    // the body's size when it was over the limit
	decoded   atomic.Pointer[any]
	claims    atomic.Pointer[auth.Claims]
	committed atomic.Bool
}

// recvChecker is implemented by the Transporter of a gRPC stream, whose
// messages arrive after the chain ran (transport/grpc).
type recvChecker interface {
	CheckRecv(check func(msg any) error)
}

// begin takes what the record needs of the request before the handler runs.
func (c *call) begin(req any) {
	switch r := req.(type) {
	case *http.Request:
		c.httpReq = r
		if c.a.c.RecordRequest {
			c.raw, c.rawCut = peekBody(r, c.a.c.MaxRequestBytes)
		}
	case *broker.Message:
		c.raw = r.Body
	case nil:
		if rc, ok := c.tr.(recvChecker); ok {
			rc.CheckRecv(c.first) // a stream: its first message stands for the request
		}
	default:
		c.decoded.Store(&req)
	}
}

// observe takes req as the call's decoded request; it is the call's
// middleware.DecodeHook.
func (c *call) observe(ctx context.Context, req any) {
	if req == nil {
		return
	}
	c.decoded.Store(&req)
	if cl, ok := auth.FromContext(ctx); ok {
		c.claims.CompareAndSwap(nil, cl)
	}
}

func (c *call) first(msg any) error {
	if msg != nil {
		c.decoded.CompareAndSwap(nil, &msg)
	}
	return nil
}

// finish writes the record once the call is over.
func (c *call) finish(ctx context.Context, err error) {
	rec := c.record(ctx, err, c.a.now())
	which := allSinks
	if c.committed.Load() && rec.Outcome == OutcomeOK {
		which = otherSinks
	}
	_ = c.a.write(ctx, rec, which)
}

// Which sinks a write goes to.
const (
	allSinks = iota
	txSinks
	otherSinks
)

func isTx(s Sink) bool { _, ok := s.(*brokerSink); return ok }

// write writes rec to the sinks chosen; a failure is counted and logged,
// and the first is returned.
func (a *Auditor) write(ctx context.Context, rec *Record, which int) error {
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.c.WriteTimeout)
	defer cancel()
	var first error
	for i, s := range a.sinks {
		if (which == txSinks && !isTx(s)) || (which == otherSinks && isTx(s)) {
			continue
		}
		if err := writeOne(wctx, s, rec); err != nil {
			a.failures.Add(1)
			a.logger.LogAttrs(ctx, slog.LevelWarn, "audit record not written", slog.Int("sink", i),
				slog.String("operation", rec.Operation), slog.String("error", err.Error()))
			if first == nil {
				first = err
			}
		}
	}
	return first
}

// writeOne writes rec to s; a panic is an error.
func writeOne(ctx context.Context, s Sink, rec *Record) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("audit: sink panicked: %v", p)
		}
	}()
	return s.Write(ctx, rec)
}

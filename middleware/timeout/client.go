package timeout

import (
	"context"
	stderrors "errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/internal/transportx"
	"github.com/goxkit/gox/middleware"
	"github.com/goxkit/gox/transport"
)

// BudgetHeader carries, from hop to hop, how much of the deadline each
// service on the path had used when it called the next one:
// "gateway=3ms/1s,orders=850ms/997ms" reads "gateway had used 3 ms of the
// 1 s it was given when it called orders; orders had used 850 ms of its
// 997 ms when it made the call that timed out". Only logged, never trusted.
const BudgetHeader = "X-Gox-Budget"

var budgetKey = transportx.NewKey(BudgetHeader)

// maxBudgetLen bounds the header a caller may send on.
const maxBudgetLen = 512

// ClientOption tunes Client.
type ClientOption func(*clientOptions)

type clientOptions struct {
	service string
	logger  *slog.Logger
}

// WithService names this hop in the budget header (default "-").
func WithService(name string) ClientOption { return func(o *clientOptions) { o.service = name } }

// WithLogger is where an expired call is logged (default slog.Default()).
func WithLogger(l *slog.Logger) ClientOption { return func(o *clientOptions) { o.logger = l } }

// Client bounds each outgoing call, all its retries included, to d (d <= 0:
// no bound of its own; the caller's deadline still applies, and a sooner one
// always wins). The deadline reaches the callee: gRPC sends it as
// grpc-timeout, the gox HTTP client as the Grpc-Timeout header the gox HTTP
// server honours too.
//
// Every call carries BudgetHeader with this hop appended, and a call that
// ends in a deadline error is logged at warn level (message "call deadline
// exceeded") with the call's timeout and wait and the whole path's
// budget, hop by hop, so the log says where the time went.
func Client(d time.Duration, opts ...ClientOption) middleware.Middleware {
	o := clientOptions{service: "-"}
	for _, f := range opts {
		f(&o)
	}
	o.service = strings.NewReplacer(",", "_", "=", "_").Replace(o.service)
	return func(next middleware.Handler) middleware.Handler {
		return func(ctx context.Context, req any) (any, error) {
			tr, ok := transport.FromClientContext(ctx)
			if !ok {
				return next(ctx, req)
			}
			start := time.Now()
			if dl, has := ctx.Deadline(); d > 0 && (!has || dl.After(start.Add(d))) {
				var cancel context.CancelFunc
				ctx, cancel = context.WithDeadline(ctx, start.Add(d))
				defer cancel()
			}
			path := hopBudget(ctx, o.service, start)
			transportx.SetKey(tr.RequestHeader(), budgetKey, []string{path})
			reply, err := next(ctx, req)
			if err != nil && deadlineError(ctx, err) {
				logger := o.logger
				if logger == nil {
					logger = slog.Default()
				}
				logger.WarnContext(ctx, "call deadline exceeded",
					slog.String("operation", tr.Operation()),
					slog.String("endpoint", tr.Endpoint()),
					slog.Duration("timeout", max(d, 0)),
					slog.Duration("waited", time.Since(start)),
					slog.String("budget", path+",call="+round(time.Since(start)).String()))
			}
			return reply, err
		}
	}
}

// hopBudget is the budget path a call made now carries: what the caller
// of this service sent, plus this hop's share (service is already clean of
// separators).
func hopBudget(ctx context.Context, service string, now time.Time) string {
	var b strings.Builder
	arrived := now
	if tr, ok := transport.FromServerContext(ctx); ok {
		if in := transportx.GetKey(tr.RequestHeader(), budgetKey); in != "" && len(in) <= maxBudgetLen {
			b.WriteString(in)
			b.WriteByte(',')
		}
		// Only a recorded start: the clock read now would come after now,
		// making this hop's share negative.
		if st, ok := tr.(transportx.Started); ok && !st.Start().IsZero() {
			arrived = st.Start()
		}
	}
	b.WriteString(service)
	b.WriteByte('=')
	b.WriteString(round(now.Sub(arrived)).String())
	b.WriteByte('/')
	if dl, ok := ctx.Deadline(); ok {
		b.WriteString(round(dl.Sub(arrived)).String())
	} else {
		b.WriteString("none")
	}
	return b.String()
}

func round(d time.Duration) time.Duration {
	if d >= time.Millisecond {
		return d.Round(time.Millisecond)
	}
	return d.Round(time.Microsecond)
}

// deadlineError says whether a call failed because time ran out: its own
// context's, or the callee's (a 504 or DEADLINE_EXCEEDED reply).
func deadlineError(ctx context.Context, err error) bool {
	if stderrors.Is(err, context.DeadlineExceeded) || stderrors.Is(ctx.Err(), context.DeadlineExceeded) {
		return true
	}
	if errors.Code(err) == http.StatusGatewayTimeout {
		return true
	}
	// a caller up the path ran out first and hung up: the request's context
	// is canceled a moment before its own (propagated) deadline
	dl, ok := ctx.Deadline()
	return ok && stderrors.Is(ctx.Err(), context.Canceled) && time.Until(dl) < hangUpSlack
}

// hangUpSlack is how close to the deadline a cancellation counts as the
// deadline's: the time a caller's hang-up takes to arrive.
const hangUpSlack = 50 * time.Millisecond

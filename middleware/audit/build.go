package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/internal/transportx"
	"github.com/goxkit/gox/middleware/auth"
	"github.com/goxkit/gox/middleware/requestid"
)

// record builds the call's record as of end, err being its outcome.
func (c *call) record(ctx context.Context, err error, end time.Time) *Record {
	a := c.a
	r := &Record{
		Time:      c.start,
		Subject:   c.subject(ctx),
		Operation: c.tr.Operation(),
		Kind:      string(c.tr.Kind()),
		RequestID: requestid.FromContext(ctx),
		Client:    c.client(),
		Outcome:   OutcomeOK,
		Code:      transportx.Code(c.tr, err),
		Latency:   end.Sub(c.start),
	}
	if sc := trace.SpanContextFromContext(ctx); sc.HasTraceID() {
		r.TraceID = sc.TraceID().String()
	}
	if err != nil || r.Code >= 400 {
		r.Outcome = OutcomeError
		r.Reason = errors.Reason(err)
	}
	r.Resources = c.resources()
	if a.c.RecordRequest {
		r.Request = c.snapshot()
	}
	return r
}

// subject names the caller: the JWT claim, the subject header, or anonymous.
func (c *call) subject(ctx context.Context) string {
	cl, ok := auth.FromContext(ctx)
	if !ok {
		cl = c.claims.Load()
	}
	if cl != nil {
		if c.a.c.SubjectClaim == "sub" {
			if cl.Subject != "" {
				return bound(cl.Subject)
			}
		} else if s, ok := auth.Claim[string](cl, c.a.c.SubjectClaim); ok && s != "" {
			return bound(s)
		}
	}
	if h := c.a.c.SubjectHeader; h != "" {
		if s := strings.TrimSpace(c.tr.RequestHeader().Get(h)); s != "" {
			return bound(s)
		}
	}
	return c.a.c.Anonymous
}

// client is the caller's address: the trusted header's first value, else
// the connection's.
func (c *call) client() string {
	if h := c.a.c.ClientHeader; h != "" {
		v, _, _ := strings.Cut(c.tr.RequestHeader().Get(h), ",")
		if v = strings.TrimSpace(v); v != "" {
			return bound(v)
		}
	}
	if ra, ok := c.tr.(transportx.RemoteAddr); ok {
		return bound(ra.RemoteAddr())
	}
	return ""
}

// resources looks up the configured fields: path parameters first, then
// the decoded request (or a JSON body decoded for the purpose).
func (c *call) resources() map[string]string {
	if len(c.a.fields) == 0 {
		return nil
	}
	var decoded any
	if p := c.decoded.Load(); p != nil {
		decoded = *p
	} else if len(c.raw) > 0 && c.rawCut == 0 && c.httpReq == nil {
		var m map[string]any
		d := json.NewDecoder(bytes.NewReader(c.raw))
		d.UseNumber()
		if d.Decode(&m) == nil {
			decoded = m
		}
	}
	out := make(map[string]string, len(c.a.fields))
	for i, path := range c.a.fields {
		name := c.a.c.ResourceFields[i]
		v, ok := "", false
		if c.httpReq != nil && len(path) == 1 {
			v, ok = pathParam(c.tr.Operation(), c.httpReq.URL.Path, name)
		}
		if !ok && decoded != nil {
			v, ok = field(decoded, path)
		}
		if !ok {
			continue
		}
		if c.a.red.secret(path[len(path)-1]) {
			v = Redacted
		}
		out[name] = bound(v)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// snapshot is the request as redacted JSON, or a JSON string saying why it
// is not recorded.
func (c *call) snapshot() json.RawMessage {
	max := c.a.c.MaxRequestBytes
	var data []byte
	switch p := c.decoded.Load(); {
	case p != nil:
		var err error
		if m, ok := (*p).(proto.Message); ok {
			data, err = protojson.Marshal(m)
		} else {
			data, err = json.Marshal(*p)
		}
		if err != nil {
			return note("request not recorded: " + err.Error())
		}
	case c.rawCut > 0:
		return note(fmt.Sprintf("request of more than %d bytes not recorded (max_request_bytes)", max))
	case len(c.raw) > 0:
		data = c.raw
	default:
		return nil
	}
	if len(data) > max {
		return note(fmt.Sprintf("request of %d bytes not recorded (max_request_bytes %d)", len(data), max))
	}
	out, err := c.a.red.JSON(data)
	if err != nil {
		return note("request is not JSON: not recorded")
	}
	if len(out) > max {
		return note(fmt.Sprintf("request of %d bytes not recorded (max_request_bytes %d)", len(out), max))
	}
	return out
}

func note(s string) json.RawMessage {
	b, _ := json.Marshal("[" + s + "]")
	return b
}

// peekBody reads up to max bytes of r's body for the snapshot and puts
// them back in front of the rest, so the handler reads the whole body. A
// body longer than max is not kept: cut is then max+1.
func peekBody(r *http.Request, max int) (data []byte, cut int) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, 0
	}
	buf, err := io.ReadAll(io.LimitReader(r.Body, int64(max)+1))
	rest := io.Reader(r.Body)
	if err != nil {
		rest = io.MultiReader(errReader{err}, r.Body)
	}
	r.Body = readCloser{io.MultiReader(bytes.NewReader(buf), rest), r.Body}
	if len(buf) > max {
		return nil, len(buf)
	}
	return buf, 0
}

type readCloser struct {
	io.Reader
	io.Closer
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// Package event is gox's event bus on CloudEvents 1.0: an Event with the
// spec's attributes (validated), listeners bound by event type — many per
// type, in the order bound —, and senders that carry events in process
// (Channel, asynchronous) or through any broker (BrokerSender, with
// NewConsumer on the other side, where a listener's error is retried and
// dead-lettered like a job). The CloudEvents formats are here too: JSON
// (MarshalJSON, batches) and the HTTP content modes (ReadHTTP, WriteHTTP,
// ReadHTTPBatch), on the standard library only. The transport bindings are
// sub-packages, so that the bus alone brings in neither gin nor gRPC:
// eventhttp (the route every gox HTTP server can expose, binary and
// structured modes and batches, and its sender) and eventgrpc (the
// EventService every gox gRPC server can serve, its sender, the Protobuf
// format). A listener's coded 4xx tells every sender not to send the event
// again; any other error is worth a retry (see Listener). Every event a
// receiver accepts can be written again unchanged in every format.
//
//	bus := event.NewBus(event.Listeners{
//		"com.example.order.created": {billing.OnOrderCreated, audit.Record},
//	})
//	e, _ := event.New("com.example.order.created", "/orders", order)
//	err := event.NewChannel(bus).Send(ctx, e)
package event

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"mime"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/goxkit/gox/errors"
)

// SpecVersion is the CloudEvents version gox speaks.
const SpecVersion = "1.0"

// Event is a CloudEvent: the required attributes (SpecVersion, ID, Source,
// Type), the optional ones, extensions, and the data as bytes.
type Event struct {
	SpecVersion     string
	ID              string
	Source          string // a URI-reference naming the context the event happened in
	Type            string // e.g. com.example.order.created
	Subject         string
	Time            time.Time // zero: absent
	DataContentType string    // e.g. application/json
	DataSchema      string    // a URI
	// Extensions are further attributes: names of lower-case letters and
	// digits, values in their canonical string form.
	Extensions map[string]string
	// Data is the payload; with DataContentType application/json (or absent
	// in the JSON format) it is a JSON value. Empty data is no data.
	Data []byte
	// DataBase64 asks the JSON format for "data_base64" (and the Protobuf
	// format for binary_data) even where the data could travel as "data"
	// (valid JSON under a JSON content type, UTF-8 text under any other);
	// readers set it when the data arrived so, as the CloudEvents SDKs do.
	// Data that cannot travel as "data" always goes as "data_base64".
	DataBase64 bool
}

// New returns an event of typ from source with a random id, the current
// time and data encoded as JSON (nil data: no data).
func New(typ, source string, data any) (Event, error) {
	e := Event{SpecVersion: SpecVersion, ID: newID(), Source: source, Type: typ, Time: time.Now().UTC()}
	if data != nil {
		if err := e.SetData(data); err != nil {
			return Event{}, err
		}
	}
	return e, nil
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// SetData encodes v as the event's JSON data.
func (e *Event) SetData(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("event %s: data: %w", e.Type, err)
	}
	e.Data, e.DataContentType, e.DataBase64 = b, "application/json", false
	return nil
}

// ReasonInvalidData is the reason of DataAs's errors.
const ReasonInvalidData = "INVALID_EVENT_DATA"

// DataAs decodes the event's JSON data into v. Its error is a coded 400
// (ReasonInvalidData): a listener that returns it tells the sender not to
// send the same event again (HTTP 400, gRPC InvalidArgument, dead-lettered
// at once from a queue).
func (e Event) DataAs(v any) error {
	if !isJSON(e.DataContentType) {
		return errors.BadRequest(ReasonInvalidData, fmt.Sprintf("event %s (%s): data is %s, not JSON", e.Type, e.ID, e.DataContentType))
	}
	if err := json.Unmarshal(e.Data, v); err != nil {
		return errors.BadRequest(ReasonInvalidData, fmt.Sprintf("event %s (%s): data: %v", e.Type, e.ID, err)).WithCause(err)
	}
	return nil
}

// isJSON reports whether data of this content type is JSON: absent (the
// JSON format's default), application/json, or a +json suffix.
func isJSON(ct string) bool {
	if ct == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	return mt == "application/json" || mt == "text/json" || strings.HasSuffix(mt, "+json")
}

// ValidationError names the attribute that makes an event invalid.
type ValidationError struct {
	Attribute string
	Reason    string
}

func (e *ValidationError) Error() string {
	return fmt.Sprintf("cloudevent: attribute %s: %s", e.Attribute, e.Reason)
}

// Validate checks the event against the CloudEvents 1.0 spec: the required
// attributes are present, specversion is 1.0, source and dataschema are URIs,
// datacontenttype is a media type, time is within the years 0000-9999 (what
// RFC 3339 can write), every attribute is UTF-8, extension names are
// lower-case letters and digits (of any length: the spec's 20 characters are
// a SHOULD that SDKs do not follow). The error is a *ValidationError naming
// the attribute.
func (e Event) Validate() error {
	bad := func(attr, reason string) error { return &ValidationError{Attribute: attr, Reason: reason} }
	switch {
	case e.SpecVersion == "":
		return bad("specversion", "missing (required)")
	case e.SpecVersion != SpecVersion:
		return bad("specversion", fmt.Sprintf("%q is not supported; gox speaks %s", e.SpecVersion, SpecVersion))
	case e.ID == "":
		return bad("id", "missing (required)")
	case e.Source == "":
		return bad("source", "missing (required)")
	case e.Type == "":
		return bad("type", "missing (required)")
	}
	for _, a := range [...]struct{ name, v string }{{"id", e.ID}, {"source", e.Source}, {"type", e.Type},
		{"subject", e.Subject}, {"datacontenttype", e.DataContentType}, {"dataschema", e.DataSchema}} {
		if !utf8.ValidString(a.v) {
			return bad(a.name, "is not valid UTF-8")
		}
	}
	if _, err := url.Parse(e.Source); err != nil {
		return bad("source", fmt.Sprintf("%q is not a URI-reference", e.Source))
	}
	if e.DataSchema != "" {
		if u, err := url.Parse(e.DataSchema); err != nil || !u.IsAbs() {
			return bad("dataschema", fmt.Sprintf("%q is not an absolute URI", e.DataSchema))
		}
	}
	if e.DataContentType != "" {
		if _, _, err := mime.ParseMediaType(e.DataContentType); err != nil || strings.ContainsFunc(e.DataContentType, isControl) {
			return bad("datacontenttype", fmt.Sprintf("%q is not a media type", e.DataContentType))
		}
	}
	if !e.Time.IsZero() && (e.Time.Year() < 0 || e.Time.Year() > 9999) {
		return bad("time", fmt.Sprintf("year %d cannot be written in RFC 3339", e.Time.Year()))
	}
	for name, v := range e.Extensions {
		if err := ValidateExtensionName(name); err != nil {
			return err
		}
		if reserved[name] {
			return bad(name, "is a context attribute, not an extension")
		}
		if !utf8.ValidString(v) {
			return bad(name, "is not valid UTF-8")
		}
	}
	return nil
}

// isControl reports a control character (tab aside): the spec allows none
// in a string, and HTTP none in the Content-Type that carries datacontenttype.
func isControl(r rune) bool { return r < ' ' && r != '\t' || r >= 0x7f && r <= 0x9f }

// ValidateExtensionName returns a *ValidationError naming name unless it is
// lower-case letters (a-z) and digits, as an extension name must be.
// Validate checks every extension with it; a decoder calls it for an
// attribute that does not become an extension (one with no value).
func ValidateExtensionName(name string) error {
	if name == "" {
		return &ValidationError{Attribute: `""`, Reason: "an extension name must not be empty"}
	}
	for _, r := range name {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') {
			return &ValidationError{Attribute: name, Reason: "an extension name must be lower-case letters (a-z) and digits"}
		}
	}
	return nil
}

// reserved are the attribute names that are not extensions.
var reserved = map[string]bool{"specversion": true, "id": true, "source": true, "type": true, "subject": true,
	"time": true, "datacontenttype": true, "dataschema": true, "data": true, "data_base64": true}

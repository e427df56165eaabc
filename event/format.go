package event

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// Media types of the CloudEvents JSON format.
const (
	MediaType      = "application/cloudevents+json"
	BatchMediaType = "application/cloudevents-batch+json"
)

// MarshalJSON writes the event in the CloudEvents JSON format (structured
// mode): data that can travel inline does so as "data" — JSON data as is
// under a JSON content type (or none), UTF-8 text as a JSON string under any
// other — unless DataBase64 asks otherwise; anything else is "data_base64".
// What UnmarshalJSON reads back is the same event.
func (e Event) MarshalJSON() ([]byte, error) {
	m := make(map[string]any, 8+len(e.Extensions))
	for k, v := range e.Extensions {
		m[k] = v
	}
	m["specversion"], m["id"], m["source"], m["type"] = e.SpecVersion, e.ID, e.Source, e.Type
	if e.Subject != "" {
		m["subject"] = e.Subject
	}
	if !e.Time.IsZero() {
		m["time"] = e.Time.Format(time.RFC3339Nano)
	}
	if e.DataContentType != "" {
		m["datacontenttype"] = e.DataContentType
	}
	if e.DataSchema != "" {
		m["dataschema"] = e.DataSchema
	}
	var raw []byte // JSON data, written as it came: Marshal would compact and escape it
	if len(e.Data) > 0 {
		switch {
		case !e.InlineData():
			m["data_base64"] = base64.StdEncoding.EncodeToString(e.Data)
		case isJSON(e.DataContentType):
			raw = bytes.TrimSpace(e.Data)
		default:
			m["data"] = string(e.Data)
		}
	}
	b, err := json.Marshal(m)
	if err != nil || raw == nil {
		return b, err
	}
	b = append(b[:len(b)-1], `,"data":`...)
	b = append(b, raw...)
	return append(b, '}'), nil
}

// InlineData reports whether e's data travels as text — "data" in the JSON
// format, text_data in the Protobuf format — rather than as base64 or
// binary_data: it is UTF-8 (and JSON under a JSON content type, so that it
// comes back the same bytes) and DataBase64 does not ask otherwise. Encoders
// of other formats use it to choose as gox's do.
func (e Event) InlineData() bool {
	if e.DataBase64 || !utf8.Valid(e.Data) {
		return false
	}
	return !isJSON(e.DataContentType) || json.Valid(e.Data)
}

// UnmarshalJSON reads an event in the CloudEvents JSON format. It does not
// validate; call Validate. "data" and "data_base64" together are refused
// (the spec makes them exclusive); a null attribute is an absent one; an
// extension is a string, number or boolean, kept in its canonical string
// form.
func (e *Event) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("cloudevent: not a JSON object: %w", err)
	}
	for name, v := range raw {
		if string(v) == "null" {
			delete(raw, name) // null means absent (JSON format, section 2.3)
		}
	}
	*e = Event{}
	if err := e.readAttributes(raw); err != nil {
		return err
	}
	if err := e.readData(raw); err != nil {
		return err
	}
	for name, v := range raw {
		if reserved[name] {
			continue
		}
		if err := ValidateExtensionName(name); err != nil {
			return err
		}
		var s any
		if err := json.Unmarshal(v, &s); err != nil {
			return &ValidationError{Attribute: name, Reason: "unreadable value"}
		}
		if e.Extensions == nil {
			e.Extensions = map[string]string{}
		}
		switch x := s.(type) {
		case string:
			e.Extensions[name] = x
		case float64, bool:
			e.Extensions[name] = string(v) // numbers and booleans in canonical form
		default:
			return &ValidationError{Attribute: name, Reason: "an extension must be a string, number or boolean, not an object or array"}
		}
	}
	return nil
}

func (e *Event) readAttributes(raw map[string]json.RawMessage) error {
	str := func(name string) (string, error) {
		v, ok := raw[name]
		if !ok {
			return "", nil
		}
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return "", &ValidationError{Attribute: name, Reason: "must be a string"}
		}
		return s, nil
	}
	var err error
	for name, dst := range map[string]*string{"specversion": &e.SpecVersion, "id": &e.ID, "source": &e.Source,
		"type": &e.Type, "subject": &e.Subject, "datacontenttype": &e.DataContentType, "dataschema": &e.DataSchema} {
		if *dst, err = str(name); err != nil {
			return err
		}
	}
	t, err := str("time")
	if err != nil || t == "" {
		return err
	}
	if e.Time, err = time.Parse(time.RFC3339Nano, t); err != nil {
		return &ValidationError{Attribute: "time", Reason: fmt.Sprintf("%q is not an RFC 3339 timestamp", t)}
	}
	return nil
}

func (e *Event) readData(raw map[string]json.RawMessage) error {
	d, hasData := raw["data"]
	d64, hasBase64 := raw["data_base64"]
	switch {
	case hasData && hasBase64:
		return &ValidationError{Attribute: "data_base64", Reason: "present together with data; an event carries its data in one of them"}
	case hasData:
		var s string
		if !isJSON(e.DataContentType) && json.Unmarshal(d, &s) == nil {
			e.Data = []byte(s) // text data travels as a JSON string
		} else {
			e.Data = append([]byte(nil), d...)
		}
	case hasBase64:
		var s string
		if err := json.Unmarshal(d64, &s); err != nil {
			return &ValidationError{Attribute: "data_base64", Reason: "must be a base64 string"}
		}
		var err error
		if e.Data, err = base64.StdEncoding.DecodeString(s); err != nil {
			return &ValidationError{Attribute: "data_base64", Reason: "is not valid base64"}
		}
		e.DataBase64 = e.InlineData() // kept only where it changes how the event is written again
	}
	if len(e.Data) == 0 {
		e.Data, e.DataBase64 = nil, false
	}
	return nil
}

// headerPrefix starts the attribute headers of the HTTP binary mode.
const headerPrefix = "Ce-"

// WriteHTTP puts e on an HTTP request or response: binary mode — attributes
// in ce-* headers, the data as the body with its content type — unless
// structured, then the whole event as application/cloudevents+json. An
// event whose datacontenttype is itself a CloudEvents format is always
// written in structured mode: in binary mode a receiver would read its data
// as the event.
func WriteHTTP(h http.Header, e Event, structured bool) ([]byte, error) {
	if structured || isFormat(e.DataContentType) {
		b, err := e.MarshalJSON() // not json.Marshal: it would compact and escape the data
		if err != nil {
			return nil, err
		}
		h.Set("Content-Type", MediaType+"; charset=utf-8")
		return b, nil
	}
	set := func(name, v string) {
		if v != "" {
			h.Set(headerPrefix+name, encodeHeader(v))
		}
	}
	set("Specversion", e.SpecVersion)
	set("Id", e.ID)
	set("Source", e.Source)
	set("Type", e.Type)
	set("Subject", e.Subject)
	set("Dataschema", e.DataSchema)
	if !e.Time.IsZero() {
		set("Time", e.Time.Format(time.RFC3339Nano))
	}
	for k, v := range e.Extensions {
		h.Set(headerPrefix+k, encodeHeader(v)) // an empty value is still a value
	}
	if e.DataContentType != "" {
		h.Set("Content-Type", e.DataContentType)
	}
	return e.Data, nil
}

// encodeHeader percent-encodes what the HTTP binding says must be: space,
// double quote, percent and anything outside printable ASCII.
func encodeHeader(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c <= ' ' || c >= 0x7f || c == '"' || c == '%' {
			fmt.Fprintf(&b, "%%%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// ReadHTTP reads the event of an HTTP request or response in either content
// mode (a batch is refused: use ReadHTTPBatch) and validates it. Errors are
// *ValidationError naming the attribute, or an error about the body.
func ReadHTTP(h http.Header, body io.Reader, limit int64) (Event, error) {
	ct := h.Get("Content-Type")
	mt, _, _ := mime.ParseMediaType(ct)
	data, err := readBody(body, limit)
	if err != nil {
		return Event{}, err
	}
	var e Event
	switch {
	case isFormat(ct) && mt != MediaType && mt != BatchMediaType:
		return Event{}, &ValidationError{Attribute: "content-type", Reason: fmt.Sprintf("%q: gox reads the CloudEvents JSON format (%s) only", ct, MediaType)}
	case mt == BatchMediaType:
		return Event{}, &ValidationError{Attribute: "content-type", Reason: "a batch (" + BatchMediaType + ") is not accepted here; send events one by one"}
	case mt == MediaType:
		if err := e.UnmarshalJSON(data); err != nil {
			return Event{}, err
		}
	default:
		if h.Get(headerPrefix+"Specversion") == "" && h.Get(headerPrefix+"Type") == "" {
			// neither mode: name what is missing the way the binary mode would
			return Event{}, &ValidationError{Attribute: "specversion", Reason: "missing (no ce-specversion header, and the body is not " + MediaType + ")"}
		}
		for k, vs := range h {
			if len(vs) == 0 || !strings.HasPrefix(k, headerPrefix) {
				continue
			}
			v, err := url.PathUnescape(vs[0])
			if err != nil {
				v = vs[0]
			}
			name := strings.ToLower(strings.TrimPrefix(k, headerPrefix))
			switch name {
			case "specversion":
				e.SpecVersion = v
			case "id":
				e.ID = v
			case "source":
				e.Source = v
			case "type":
				e.Type = v
			case "subject":
				e.Subject = v
			case "dataschema":
				e.DataSchema = v
			case "time":
				if e.Time, err = time.Parse(time.RFC3339Nano, v); err != nil {
					return Event{}, &ValidationError{Attribute: "time", Reason: fmt.Sprintf("%q is not an RFC 3339 timestamp", v)}
				}
			default:
				if e.Extensions == nil {
					e.Extensions = map[string]string{}
				}
				e.Extensions[name] = v
			}
		}
		e.DataContentType = ct
		if len(data) > 0 {
			e.Data = data
		}
	}
	if err := e.Validate(); err != nil {
		return Event{}, err
	}
	return e, nil
}

func readBody(body io.Reader, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("cloudevent: reading the body: %w", err)
	}
	if int64(len(data)) > limit {
		return nil, &TooLargeError{Limit: limit}
	}
	return data, nil
}

// isFormat reports whether a content type is a CloudEvents format
// (structured mode): application/cloudevents, with any suffix.
func isFormat(ct string) bool {
	return strings.HasPrefix(strings.ToLower(strings.TrimSpace(ct)), "application/cloudevents")
}

// TooLargeError is an event body over the limit.
type TooLargeError struct{ Limit int64 }

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("cloudevent: body is larger than %d bytes", e.Limit)
}

// marshal and unmarshal are the broker format: the JSON format.
func marshal(e Event) ([]byte, error) { return e.MarshalJSON() }

func unmarshal(b []byte) (Event, error) {
	var e Event
	if err := e.UnmarshalJSON(b); err != nil {
		return Event{}, err
	}
	return e, e.Validate()
}

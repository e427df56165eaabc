package event_test

import (
	"encoding/json"
	"testing"

	"github.com/goxkit/gox/event"
	"github.com/goxkit/gox/event/internal/eventtest"
)

// The JSON format writes JSON data as it came (no compaction, no HTML
// escaping), so a forwarded event's data is byte for byte the sender's
// (json.Marshal(e) would compact it: the senders call MarshalJSON).
func TestJSONDataIsWrittenAsItCame(t *testing.T) {
	e := event.Event{SpecVersion: "1.0", ID: "1", Source: "/s", Type: "t", DataContentType: "application/json",
		Data: []byte(`{ "html": "<b>&</b>", "n": 1.50 }`)}
	b, err := e.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var back event.Event
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	eventtest.Same(t, back, e)
}

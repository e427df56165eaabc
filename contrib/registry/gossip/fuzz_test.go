package gossip

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzDecodeMeta feeds decodeMeta what a peer may advertise in its member
// metadata: whatever it takes is valid and reads back the same once encoded
// again; whatever it leaves out has an error saying why.
func FuzzDecodeMeta(f *testing.F) {
	for _, seed := range []string{
		`[{"id":"a-1","name":"users","version":"v1.2.0","metadata":{"weight":"5","zone":"eu-1"},"endpoints":["http://10.0.0.7:8080","grpc://10.0.0.7:9090"]}]`,
		`[{"id":"b","name":"orders","endpoints":["https://[::1]:8443"]},{"id":"c","name":"orders","endpoints":["http://h:1"]}]`,
		`[]`, `null`, ``, `{not json`, `"a string"`, `[1,2]`, `[null]`, `[{"id":"x"}]`,
		`[{"id":"x","name":"y","endpoints":[]}]`,
		`[{"id":"x","name":"y","endpoints":["10.0.0.1:80"]}]`,
		`[{"id":"x","name":"y","endpoints":["http://"]}]`,
		`[{"id":"x","name":"y","endpoints":["http://a b:80"]}]`,
		`[{"id":"x","name":"y","endpoints":["http://%zz"]}]`,
		`[{"id":"x","name":"y","endpoints":["http://h:1"],"metadata":{"weight":"-1"}}]`,
		`[{"id":"x","name":"y","endpoints":["http://h:1"],"metadata":null,"extra":true}]`,
		`[{"id":"\u0000","name":"\ud800","endpoints":["grpc://h:1"]}]`,
		`[{"id":"x","name":"y","endpoints":["http://h:1"]},{"id":"x","name":"y","endpoints":["http://h:2"]}]`,
		`[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, meta []byte) {
		valid, invalid, err := decodeMeta(meta)
		if err != nil {
			if len(valid) > 0 || !strings.Contains(err.Error(), "metadata") {
				t.Fatalf("refused metadata: %d instances taken, error %q", len(valid), err)
			}
			return
		}
		var raw []json.RawMessage
		if len(meta) > 0 && json.Unmarshal(meta, &raw) == nil && len(valid)+len(invalid) != len(raw) {
			t.Fatalf("%d elements, %d taken and %d refused", len(raw), len(valid), len(invalid))
		}
		for _, e := range invalid {
			if !strings.HasPrefix(e.Error(), "instance ") {
				t.Fatalf("an instance left out with an error naming nothing: %q", e)
			}
		}
		for _, ins := range valid {
			if err := ins.Validate(); err != nil {
				t.Fatalf("took an invalid instance: %v", err)
			}
		}
		again, err := json.Marshal(valid)
		if err != nil {
			t.Fatal(err)
		}
		back, invalid, err := decodeMeta(again)
		if err != nil || len(invalid) > 0 || len(back) != len(valid) {
			t.Fatalf("taken instances do not read back: %v %v (%d of %d)", err, invalid, len(back), len(valid))
		}
		if b, _ := json.Marshal(back); string(b) != string(again) {
			t.Fatalf("round trip changed the instances:\n%s\n%s", again, b)
		}
	})
}

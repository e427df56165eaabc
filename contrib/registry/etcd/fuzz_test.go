package etcd

import (
	"encoding/json"
	"testing"
)

// FuzzDecodeInstance feeds decodeInstance what any process with write
// access may have put under a service's prefix: what it takes is a valid
// instance of that service that reads back the same once encoded again;
// what it refuses has an error.
func FuzzDecodeInstance(f *testing.F) {
	for _, seed := range []struct{ name, value string }{
		{"orders", `{"id":"orders-1","name":"orders","version":"v1","metadata":{"weight":"5"},"endpoints":["http://10.0.0.7:8080","grpc://10.0.0.7:9090"]}`},
		{"orders", `{"id":"x","name":"orders","endpoints":["http://%zz:1"]}`},
		{"orders", "{nope"}, {"orders", `{"id":"x","name":"orders"}`},
		{"orders", `{"id":"y","name":"users","endpoints":["http://127.0.0.1:2"]}`},
		{"orders", "[]"}, {"orders", "null"}, {"orders", ""}, {"", `{"id":"z","name":"","endpoints":["http://h:1"]}`},
		{"orders", `{"id":"x","name":"orders","endpoints":["http://h:1"],"metadata":{"a":null},"id":"dup"}`},
		{"orders", `{"id":1,"name":"orders","endpoints":"http://h:1"}`},
		{"ör/ders", `{"id":"\u0000","name":"ör/ders","endpoints":["\ud800"]}`},
	} {
		f.Add(seed.name, []byte(seed.value))
	}
	f.Fuzz(func(t *testing.T, name string, value []byte) {
		ins, err := decodeInstance(name, value)
		if err != nil {
			if ins != nil || err.Error() == "" {
				t.Fatalf("refused with %v but returned %v", err, ins)
			}
			return
		}
		if err := ins.Validate(); err != nil || ins.Name != name {
			t.Fatalf("took an instance that is not one of %q: %+v (%v)", name, ins, err)
		}
		b, err := json.Marshal(ins)
		if err != nil {
			t.Fatal(err)
		}
		back, err := decodeInstance(name, b)
		if err != nil {
			t.Fatalf("a taken instance does not read back: %v", err)
		}
		if b2, _ := json.Marshal(back); string(b2) != string(b) {
			t.Fatalf("round trip changed the instance:\n%s\n%s", b, b2)
		}
	})
}

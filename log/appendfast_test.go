package log

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zapcore"
)

func TestAppendRFC3339NanoMatchesFormat(t *testing.T) {
	zones := []*time.Location{time.UTC, time.Local, time.FixedZone("", -7*3600), time.FixedZone("IST", 5*3600+1800)}
	times := []time.Time{
		time.Date(2026, 11, 21, 7, 46, 18, 0, time.UTC),
		time.Date(2026, 11, 21, 7, 46, 18, 100, time.UTC),
		time.Date(2026, 11, 21, 7, 46, 18, 120000000, time.UTC),
		time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC),
		time.Date(12345, 1, 1, 0, 0, 0, 999999999, time.UTC),
		time.Now(),
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		times = append(times, time.Unix(r.Int64N(1<<34), r.Int64N(1e9)))
	}
	for _, tt := range times {
		for _, z := range zones {
			tz := tt.In(z)
			// twice: once filling the cache, once reading it
			for range 2 {
				if got, want := string(appendRFC3339Nano(nil, tz)), tz.Format(time.RFC3339Nano); got != want {
					t.Fatalf("%v: got %s, want %s", tz, got, want)
				}
			}
		}
	}
}

func TestAppendSecondsMatchesStrconv(t *testing.T) {
	ds := []time.Duration{0, 1, 9, 10, 999, 1000, 45321, time.Millisecond, time.Second, 1500 * time.Millisecond,
		time.Hour, 1e15 - 1, 1e15, 1e18, -1, -time.Second, 1<<63 - 1, -1 << 63}
	r := rand.New(rand.NewPCG(3, 4))
	for range 100000 {
		ds = append(ds, time.Duration(r.Int64N(1e15)), time.Duration(r.Int64N(1e7)))
	}
	for _, d := range ds {
		want := strconv.FormatFloat(float64(d)/float64(time.Second), 'f', -1, 64)
		if got := string(appendSeconds(nil, d)); got != want {
			t.Fatalf("%d ns: got %s, want %s", int64(d), got, want)
		}
	}
}

func TestAppendEscapedMatchesZap(t *testing.T) {
	inputs := []string{"", "plain", `a"b\c`, "tab\tnl\nret\r", "\x00\x1f\x7f", "é ü 中文 😀", "bad \xff\xfe utf8", "\xe2\x82", strings.Repeat("x", 300) + "\""}
	// One byte that needs care at every offset of a plain string, so the
	// word-at-a-time scan meets it in each lane.
	for _, c := range []string{"\x00", "\x1f", " ", "\"", "\\", "\x7f", "\x80", "é", "\xff", "中"} {
		for i := range 20 {
			inputs = append(inputs, strings.Repeat("a", i)+c+strings.Repeat("z", 20-i))
		}
	}
	// Every short length with such a byte at each position, and plain: the
	// 4-to-7-byte and overlapping-tail checks see it in each place.
	for n := 1; n <= 17; n++ {
		inputs = append(inputs, strings.Repeat("p", n))
		for _, c := range []byte{0x00, 0x1f, '"', '\\', 0x7f, 0x80, 0xff} {
			for p := range n {
				b := []byte(strings.Repeat("p", n))
				b[p] = c
				inputs = append(inputs, string(b))
			}
		}
	}
	r := rand.New(rand.NewPCG(5, 6))
	for range 5000 { // mostly plain: long plain runs with rare specials
		b := make([]byte, r.IntN(40))
		for i := range b {
			b[i] = byte(0x20 + r.IntN(0x5f))
			if r.IntN(16) == 0 {
				b[i] = byte(r.IntN(256))
			}
		}
		inputs = append(inputs, string(b))
	}
	for range 5000 {
		b := make([]byte, r.IntN(40))
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		inputs = append(inputs, string(b))
	}
	enc := zapcore.NewJSONEncoder(zapcore.EncoderConfig{})
	for _, s := range inputs {
		buf, err := enc.EncodeEntry(zapcore.Entry{}, []zapcore.Field{{Key: "k", Type: zapcore.StringType, String: s}})
		if err != nil {
			t.Fatal(err)
		}
		want := strings.TrimSuffix(strings.TrimPrefix(buf.String(), `{"k":"`), "\"}\n")
		buf.Free()
		if got := string(appendEscaped(nil, s)); got != want {
			t.Fatalf("%q: got %q, want %q", s, got, want)
		}
	}
}

// digits8 against a decimal odometer, for every value it takes.
func TestDigits8Exhaustive(t *testing.T) {
	var want [8]byte // digits, most significant first
	for v := uint32(0); v < 1e8; v++ {
		got := digits8(v)
		for i := range 8 {
			if byte(got>>(8*i)) != want[i] {
				t.Fatalf("digits8(%d) = %#x, want digits %v", v, got, want)
			}
		}
		for i := 7; i >= 0; i-- { // want++
			if want[i]++; want[i] < 10 {
				break
			}
			want[i] = 0
		}
	}
}

func TestAppendFractionTrimsZeros(t *testing.T) {
	ns := []int{0, 1, 9, 10, 99, 100000000, 100000001, 120000000, 999999999, 500000000, 10000000, 1000}
	for k := 1; k < 1000; k++ {
		for p := 1; k*p < 1e9; p *= 10 {
			ns = append(ns, k*p)
		}
	}
	r := rand.New(rand.NewPCG(5, 6))
	for range 10000 {
		ns = append(ns, r.IntN(1e9))
	}
	for _, n := range ns {
		want := strings.TrimRight(strings.TrimRight(strconv.FormatFloat(float64(n)/1e9, 'f', 9, 64), "0"), ".")
		want = strings.TrimPrefix(want, "0")
		if got := string(appendFraction([]byte("x"), n)); got != "x"+want {
			t.Fatalf("appendFraction(%d) = %q, want %q", n, got, "x"+want)
		}
	}
}

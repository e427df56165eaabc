package redis

import (
	"errors"
	"testing"
	"time"
)

func TestParseReply(t *testing.T) {
	for _, tc := range []struct {
		name  string
		reply any
		wait  time.Duration
		ok    bool
		bad   bool
	}{
		{"admitted at once", []any{int64(1), int64(0)}, 0, true, false},
		{"admitted after a wait", []any{int64(1), int64(2500)}, 2500 * time.Microsecond, true, false},
		{"refused", []any{int64(0), int64(40_000)}, 40 * time.Millisecond, false, false},
		{"refused for under 1ms gives 1ms", []any{int64(0), int64(1)}, time.Millisecond, false, false},
		{"refused for 0 gives 1ms", []any{int64(0), int64(0)}, time.Millisecond, false, false},
		{"nil", nil, 0, false, true},
		{"short", []any{int64(1)}, 0, false, true},
		{"long", []any{int64(1), int64(0), int64(0)}, 0, false, true},
		{"string flag", []any{"1", int64(0)}, 0, false, true},
		{"flag 2", []any{int64(2), int64(0)}, 0, false, true},
		{"negative wait", []any{int64(1), int64(-1)}, 0, false, true},
		{"overflowing wait", []any{int64(1), int64(1) << 62}, 0, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wait, ok, err := parseReply(tc.reply)
			if tc.bad {
				if !errors.Is(err, errReply) {
					t.Fatalf("parseReply(%v) = %v, %v, %v; want errReply", tc.reply, wait, ok, err)
				}
				return
			}
			if err != nil || wait != tc.wait || ok != tc.ok {
				t.Fatalf("parseReply(%v) = %v, %v, %v; want %v, %v", tc.reply, wait, ok, err, tc.wait, tc.ok)
			}
		})
	}
}

// FuzzParseReply feeds the reply parser what a RESP decoder could hand it
// for a two-element array; whatever it is, the parser keeps the contract:
// an error, or a wait >= 0 when admitted and >= 1ms when refused.
func FuzzParseReply(f *testing.F) {
	f.Add(int64(1), int64(0), false, 2)
	f.Add(int64(0), int64(999), false, 2)
	f.Add(int64(1), int64(-5), true, 3)
	f.Add(int64(0), int64(1)<<62, false, 2)
	f.Fuzz(func(t *testing.T, flag, us int64, asString bool, n int) {
		elems := []any{flag, us, int64(0)}
		if asString {
			elems[0] = "1"
		}
		reply := elems[:max(0, min(n, len(elems)))]
		wait, ok, err := parseReply(reply)
		switch {
		case err != nil:
			if !errors.Is(err, errReply) || wait != 0 || ok {
				t.Fatalf("parseReply(%v) = %v, %v, %v", reply, wait, ok, err)
			}
		case ok && (wait < 0 || wait > maxReplyWait):
			t.Fatalf("parseReply(%v) admitted with wait %v", reply, wait)
		case !ok && (wait < minRetryAfter || wait > maxReplyWait):
			t.Fatalf("parseReply(%v) refused with retry-after %v", reply, wait)
		}
	})
}

package log

import (
	"strconv"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// The helpers here write exactly what time.RFC3339Nano, strconv's shortest
// float formatting and zap's escaping write, at a fraction of the cost; the
// access log calls them for every request. Tests hold them equal to the
// standard library on edge cases and random inputs.

// stamp caches the parts of an RFC 3339 timestamp that change once a second.
type stamp struct {
	sec    int64
	loc    *time.Location
	prefix string // 2006-01-02T15:04:05
	zone   string // Z or -07:00
}

var lastStamp atomic.Pointer[stamp]

// appendRFC3339Nano appends t.Format(time.RFC3339Nano).
func appendRFC3339Nano(b []byte, t time.Time) []byte {
	sec, loc := t.Unix(), t.Location()
	s := lastStamp.Load()
	if s == nil || s.sec != sec || s.loc != loc {
		// Zone offsets change only on whole seconds, so one second shares them.
		s = &stamp{sec: sec, loc: loc, prefix: t.Format("2006-01-02T15:04:05"), zone: t.Format("Z07:00")}
		lastStamp.Store(s)
	}
	b = append(b, s.prefix...)
	b = appendFraction(b, t.Nanosecond())
	return append(b, s.zone...)
}

// appendFraction appends .ddddddddd for ns (0..999999999) without trailing
// zeros, and nothing for 0.
func appendFraction(b []byte, ns int) []byte {
	if ns == 0 {
		return b
	}
	var d [10]byte
	d[0] = '.'
	for i := 9; i >= 1; i-- {
		d[i] = byte('0' + ns%10)
		ns /= 10
	}
	n := 10
	for d[n-1] == '0' {
		n--
	}
	return append(b, d[:n]...)
}

// appendSeconds appends strconv.AppendFloat(b, d.Seconds(), 'f', -1, 64), as
// zap's seconds duration encoder does. Below 10^15 ns a duration has at most 15
// significant digits, so its exact decimal is also float64's shortest form.
func appendSeconds(b []byte, d time.Duration) []byte {
	if d < 0 || d >= 1e15 {
		return appendFloat(b, float64(d)/float64(time.Second))
	}
	b = strconv.AppendInt(b, int64(d/time.Second), 10)
	return appendFraction(b, int(d%time.Second))
}

// plainWord reports whether all 8 bytes of s (len(s) == 8) are plain, a
// word at a time: no byte is below 0x20, at or above 0x80, '"' or '\\'.
// haszero(v) = (v - 0x01..) &^ v & 0x80.. is non-zero exactly when some byte
// of v is zero; (w - 0x20..) &^ w & 0x80.. likewise when some byte is below 0x20.
func plainWord(s string) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	w := uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
	q, bs := w^('"'*ones), w^('\\'*ones)
	m := w | (w-0x20*ones)&^w | (q-ones)&^q | (bs-ones)&^bs
	return m&highs == 0
}

// plain marks the bytes appendEscaped copies as they are.
var plain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '\\' && c != '"'
	}
	return t
}()

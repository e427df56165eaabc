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
	d[0], d[1] = '.', byte('0'+ns/1e8)
	r := ns % 1e8
	putPair(d[2:], r/1e6)
	putPair(d[4:], r/1e4%100)
	putPair(d[6:], r/100%100)
	putPair(d[8:], r%100)
	n := 10
	for d[n-1] == '0' {
		n--
	}
	return append(b, d[:n]...)
}

// digitPairs holds "00" to "99", so that two digits cost one division.
const digitPairs = "00010203040506070809101112131415161718192021222324252627282930313233343536373839" +
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879" +
	"8081828384858687888990919293949596979899"

func putPair(d []byte, v int) { d[0], d[1] = digitPairs[2*v], digitPairs[2*v+1] }

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

// plainString reports whether s needs no escaping, eight bytes at a time
// (the last word overlapping the one before it), four and four for 4 to 7
// bytes, and byte by byte below that.
func plainString(s string) bool {
	n := len(s)
	switch {
	case n >= 8:
		for i := 0; i+8 <= n; i += 8 {
			if !plainWord(s[i : i+8]) {
				return false
			}
		}
		return n%8 == 0 || plainWord(s[n-8:])
	case n >= 4:
		return plainBits(uint64(load32(s)) | uint64(load32(s[n-4:]))<<32)
	}
	for i := 0; i < n; i++ {
		if !plain[s[i]] {
			return false
		}
	}
	return true
}

func load32(s string) uint32 {
	return uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24
}

// plainWord reports whether all 8 bytes of s (len(s) >= 8) are plain.
func plainWord(s string) bool {
	return plainBits(uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56)
}

// plainBits reports whether all 8 bytes of w are plain: no byte is below
// 0x20, at or above 0x80, '"' or '\\'.
// haszero(v) = (v - 0x01..) &^ v & 0x80.. is non-zero exactly when some byte
// of v is zero; (w - 0x20..) &^ w & 0x80.. likewise when some byte is below 0x20.
func plainBits(w uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
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

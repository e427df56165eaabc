package log

import (
	"encoding/binary"
	"math/bits"
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
	digits := digits8(uint32(ns % 1e8))
	// The last digits are in the high bytes: the zero ones among them
	// are the zero bytes at the top.
	zeros := bits.LeadingZeros64(digits) / 8
	if zeros == 8 { // the first digit alone
		return append(b, '.', byte('0'+ns/1e8))
	}
	n := len(b)
	b = append(b, '.', byte('0'+ns/1e8), 0, 0, 0, 0, 0, 0, 0, 0)
	binary.LittleEndian.PutUint64(b[n+2:], digits+0x3030303030303030)
	return b[:len(b)-zeros]
}

// digits8 returns the 8 decimal digits of v (< 10^8), most significant in the
// lowest byte, each as its value 0 to 9 (add '0' to each byte for ASCII).
// Two 4-digit halves, then four 2-digit pairs, then eight digits, each split
// done for all lanes at once with a multiply-shift division (exact for these
// ranges); see Lemire, "Converting integers to fixed-digit representations
// quickly" (2021).
func digits8(v uint32) uint64 {
	x := uint64(v/10000) | uint64(v%10000)<<32
	hundreds := (x * 10486 >> 20) & 0x0000007f0000007f // each half / 100
	x = hundreds | (x-100*hundreds)<<16                // 4 pairs
	tens := (x * 103 >> 10) & 0x000f000f000f000f       // each pair / 10
	return tens | (x-10*tens)<<8
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

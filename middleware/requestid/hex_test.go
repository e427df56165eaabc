package requestid

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"
)

// hex8 against the obvious per-nibble encoding: every digit in every
// position, then random words.
func TestHex8(t *testing.T) {
	const digits = "0123456789abcdef"
	check := func(v uint32) {
		var got [8]byte
		binary.LittleEndian.PutUint64(got[:], hex8(v))
		for i := range 8 {
			if want := digits[v>>(4*i)&0xf]; got[i] != want {
				t.Fatalf("hex8(%#08x) = %q: byte %d is %q, want %q", v, got, i, got[i], want)
			}
		}
	}
	for n := range uint32(16) {
		for pos := range 8 {
			check(n << (4 * pos))
		}
		check(n * 0x11111111)
	}
	for range 100000 {
		check(rand.Uint32())
	}
}

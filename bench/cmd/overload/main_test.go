package main

import (
	"strings"
	"testing"
	"time"
)

func TestParsePlan(t *testing.T) {
	ps, err := parsePlan("500x10s, 1500x2s")
	if err != nil || len(ps) != 2 || ps[0] != (phase{500, 10 * time.Second}) || ps[1] != (phase{1500, 2 * time.Second}) {
		t.Fatalf("parsePlan: %v, %v", ps, err)
	}
	for _, bad := range []string{"500", "0x1s", "500x0s", "ax1s", "500xsoon"} {
		if _, err := parsePlan(bad); err == nil {
			t.Errorf("parsePlan(%q): no error", bad)
		}
	}
}

// series makes one request every 10 ms over [from, to), each with the
// latency and outcome lat gives for its due time.
func series(from, to time.Duration, lat func(time.Duration) (time.Duration, uint8)) []record {
	var rs []record
	for t := from; t < to; t += 10 * time.Millisecond {
		l, o := lat(t)
		rs = append(rs, record{due: t, latency: l, out: o})
	}
	return rs
}

// A server that fails everything for 1 s after the drop, then answers
// slowly (3× the idle p99) until 2 s, then as when idle: recovered and
// settled when the first window wholly after 2 s ends; counting only the
// 2xx, the same (the slow 2xx are over the limit too).
func TestRecovery(t *testing.T) {
	const s = time.Second
	idle := series(0, s, func(time.Duration) (time.Duration, uint8) { return 5 * time.Millisecond, outOK })
	spike := series(s, 2*s, func(time.Duration) (time.Duration, uint8) { return 500 * time.Millisecond, outTimeout })
	after := series(2*s, 5*s, func(t time.Duration) (time.Duration, uint8) {
		switch {
		case t < 3*s:
			return 0, outShed
		case t < 4*s:
			return 15 * time.Millisecond, outOK
		}
		return 5 * time.Millisecond, outOK
	})
	recs := append(append(idle, spike...), after...)
	got := recovery(recs, []time.Duration{0, s, 2 * s}, []phase{{100, s}, {100, s}, {100, 3 * s}}, 200*time.Millisecond)
	for _, want := range []string{"idle_p99_ms=5.00", "limit_ms=10.00", "recovered_ms=2200", "settled_ms=2200", "idle_bad_windows=0", "recovered_2xx_ms=2200"} {
		if !strings.Contains(got, want) {
			t.Errorf("recovery = %q, want %s", got, want)
		}
	}
}

// Sheds alone do not hold back the 2xx-only figure: a server that answers
// in time what it admits, refusing 1 call in 10, has recovered its 2xx at
// once but never every request.
func TestRecoveryWhileShedding(t *testing.T) {
	const s = time.Second
	recs := series(0, s, func(time.Duration) (time.Duration, uint8) { return 5 * time.Millisecond, outOK })
	recs = append(recs, series(s, 2*s, func(t time.Duration) (time.Duration, uint8) {
		if t/(10*time.Millisecond)%10 == 0 {
			return 0, outShed
		}
		return 5 * time.Millisecond, outOK
	})...)
	got := recovery(recs, []time.Duration{0, s / 2, s}, []phase{{100, s / 2}, {100, s / 2}, {100, s}}, 200*time.Millisecond)
	for _, want := range []string{"recovered_ms=never", "settled_ms=never", "recovered_2xx_ms=200"} {
		if !strings.Contains(got, want) {
			t.Errorf("recovery = %q, want %s", got, want)
		}
	}
}

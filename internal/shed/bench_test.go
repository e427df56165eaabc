package shed

import (
	"testing"
	"time"
)

// The per-call cost with the CPU under the threshold: what every call pays.
func BenchmarkAllowDone(b *testing.B) {
	s := New(NewSampler(WithReader(func() (time.Duration, time.Duration, error) { return 0, 0, nil })).Usage)
	b.ReportAllocs()
	for b.Loop() {
		tok, _ := s.Allow(Normal)
		s.Done(tok)
	}
}

// The cost at high CPU, admitted under the limit: the estimate is read.
func BenchmarkAllowDoneHot(b *testing.B) {
	s := New(func() float64 { return 1 })
	warm(s)
	b.ReportAllocs()
	for b.Loop() {
		tok, _ := s.Allow(Normal)
		s.Done(tok)
	}
}

func BenchmarkAllowDoneParallel(b *testing.B) {
	s := New(func() float64 { return 0 })
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			tok, _ := s.Allow(Normal)
			s.Done(tok)
		}
	})
}

func BenchmarkAllowDoneHotParallel(b *testing.B) {
	s := New(func() float64 { return 1 })
	warm(s)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			tok, _ := s.Allow(Normal)
			s.Done(tok)
		}
	})
}

// The shedder's own cost, the clock left out: a constant fake clock.
func BenchmarkAllowDoneFakeClock(b *testing.B) {
	s := New(func() float64 { return 0 }, WithClock(func() time.Duration { return time.Second }))
	b.ReportAllocs()
	for b.Loop() {
		tok, _ := s.Allow(Normal)
		s.Done(tok)
	}
}

// The floor: a read of the monotonic clock, which Allow and Done take once each.
func BenchmarkClock(b *testing.B) {
	origin := time.Now()
	var d time.Duration
	for b.Loop() {
		d += time.Since(origin)
	}
	_ = d
}

// warm fills the window of s with a limit far above one call in flight.
func warm(s *Shedder) {
	t := time.Duration(0)
	s.now = func() time.Duration { return t }
	for range 20 {
		toks := make([]Token, 1000)
		for i := range toks {
			toks[i], _ = s.Allow(Critical)
		}
		t += 50 * time.Millisecond
		for _, tok := range toks {
			s.Done(tok)
		}
		t += 50 * time.Millisecond
	}
	origin := time.Now().Add(-t)
	s.now = func() time.Duration { return time.Since(origin) }
}

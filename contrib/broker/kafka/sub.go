package kafka

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/goxkit/gox/broker"
	"github.com/goxkit/gox/internal/due"
)

var kerrUnknownTopic = kerr.UnknownTopicOrPartition

// sub is this process's member of one consumer group on one topic. A poll
// loop fills ready with fetched records; receivers take the first one that
// is due and whose key is not held by an earlier record; settled records
// let the partition's commit point advance.
type sub struct {
	b            *Broker
	topic, group string
	cl           *kgo.Client

	mu     sync.Mutex
	ready  []*held         // fetched, not handed out, in fetch order
	busy   map[string]int  // partition/key → records of that key handed out
	parts  map[int32]*part // assigned partitions
	wake   chan struct{}   // closed when ready, busy or parts change
	closed bool
	cancel context.CancelFunc
	done   chan struct{}
}

// held is a fetched record waiting to be handed out.
type held struct {
	r         *kgo.Record
	p         *part
	notBefore time.Time
	attempt   int
	kk        string // partition/key; "" for a record without key
}

// part tracks one assigned partition: the offsets fetched and not yet
// finished, so the committed offset never passes an unfinished record.
type part struct {
	next      int64 // offset after the last fetched record; -1 before the first
	epoch     int32
	open      map[int64]bool // fetched, not finished
	committed int64
}

// commitPoint is the offset a commit may name: the first unfinished one;
// -1 before anything was fetched.
func (p *part) commitPoint() int64 {
	low := p.next
	for off := range p.open {
		low = min(low, off)
	}
	return low
}

func newSub(b *Broker, topic, group string) *sub {
	return &sub{b: b, topic: topic, group: group, busy: map[string]int{}, parts: map[int32]*part{},
		wake: make(chan struct{}), done: make(chan struct{})}
}

func (s *sub) start() {
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	go s.poll(ctx)
	go s.commitLoop(ctx)
}

// signal wakes every receiver; callers hold mu.
func (s *sub) signal() {
	close(s.wake)
	s.wake = make(chan struct{})
}

func (s *sub) poll(ctx context.Context) {
	defer close(s.done)
	for {
		s.mu.Lock()
		space := s.b.c.Buffer - len(s.ready)
		wake := s.wake
		s.mu.Unlock()
		if space <= 0 {
			select {
			case <-ctx.Done():
				return
			case <-wake:
				continue
			}
		}
		fs := s.cl.PollRecords(ctx, space)
		if ctx.Err() != nil || fs.IsClientClosed() {
			return
		}
		fs.EachError(func(t string, p int32, err error) {
			s.b.o.logger.Warn("kafka fetch failed; retrying", "topic", t, "partition", p, "group", s.group, "error", err.Error())
		})
		s.mu.Lock()
		fs.EachRecord(func(r *kgo.Record) {
			p := s.parts[r.Partition]
			if p == nil {
				return // fetched just before the partition was revoked
			}
			p.open[r.Offset] = true
			p.next, p.epoch = r.Offset+1, r.LeaderEpoch
			h := &held{r: r, p: p, attempt: 1}
			if v, ok := header(r, headerNotBefore); ok {
				if ms, err := strconv.ParseInt(v, 10, 64); err == nil {
					h.notBefore = time.UnixMilli(ms)
				}
			}
			if len(r.Key) > 0 {
				h.kk = strconv.Itoa(int(r.Partition)) + "/" + string(r.Key)
			}
			s.ready = append(s.ready, h)
		})
		s.signal()
		s.mu.Unlock()
	}
}

// commitLoop commits finished offsets every CommitInterval.
func (s *sub) commitLoop(ctx context.Context) {
	t := time.NewTicker(s.b.c.CommitInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.commit(ctx, nil)
		}
	}
}

// commit commits the commit point of the given partitions (all when nil)
// where it moved.
func (s *sub) commit(ctx context.Context, only []int32) {
	offsets := map[int32]kgo.EpochOffset{}
	s.mu.Lock()
	for n, p := range s.parts {
		if only != nil && !contains(only, n) {
			continue
		}
		if at := p.commitPoint(); at > p.committed {
			offsets[n] = kgo.EpochOffset{Epoch: p.epoch, Offset: at}
		}
	}
	s.mu.Unlock()
	if len(offsets) == 0 {
		return
	}
	s.cl.CommitOffsetsSync(ctx, map[string]map[int32]kgo.EpochOffset{s.topic: offsets},
		func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, err error) {
			if err == nil {
				for _, t := range resp.Topics {
					for _, p := range t.Partitions {
						if perr := kerr.ErrorForCode(p.ErrorCode); perr != nil {
							err = perr
						}
					}
				}
			}
			if err != nil {
				if ctx.Err() == nil {
					s.b.o.logger.Warn("kafka commit failed; the messages after the last commit may be delivered again",
						"topic", s.topic, "group", s.group, "error", err.Error())
				}
				return
			}
			s.mu.Lock()
			for n, o := range offsets {
				if p := s.parts[n]; p != nil && o.Offset > p.committed {
					p.committed = o.Offset
				}
			}
			s.mu.Unlock()
		})
}

func contains(ps []int32, p int32) bool {
	for _, q := range ps {
		if q == p {
			return true
		}
	}
	return false
}

// assigned starts tracking newly assigned partitions.
func (s *sub) assigned(_ context.Context, _ *kgo.Client, m map[string][]int32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range m[s.topic] {
		if s.parts[n] == nil {
			s.parts[n] = &part{next: -1, open: map[int64]bool{}, committed: -1}
		}
	}
}

// revoked commits what was finished on the partitions leaving this member
// and forgets their records: the new owner starts at the commit point.
func (s *sub) revoked(ctx context.Context, _ *kgo.Client, m map[string][]int32) {
	s.commit(ctx, m[s.topic])
	s.lost(ctx, nil, m)
}

// lost forgets the partitions' records without committing.
func (s *sub) lost(_ context.Context, _ *kgo.Client, m map[string][]int32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	gone := m[s.topic]
	for _, n := range gone {
		delete(s.parts, n)
	}
	kept := s.ready[:0]
	for _, h := range s.ready {
		if !contains(gone, h.r.Partition) {
			kept = append(kept, h)
		}
	}
	clear(s.ready[len(kept):])
	s.ready = kept
	s.signal()
}

// receive hands out the first due record whose key is free.
func (s *sub) receive(ctx context.Context) (broker.Delivery, error) {
	var wait due.Waiter
	defer wait.Stop()
	for {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return nil, broker.ErrClosed
		}
		d, next := s.take(time.Now())
		wake := s.wake
		s.mu.Unlock()
		if d != nil {
			return d, nil
		}
		if err := wait.Wait(ctx, wake, next); err != nil {
			return nil, err
		}
	}
}

// take removes and returns the first record that is due, meant for this
// group, and not behind an earlier record of its key; otherwise it returns
// when the next held record is due. Callers hold mu.
func (s *sub) take(now time.Time) (*delivery, time.Time) {
	var next time.Time
	blocked := map[string]bool{}
	for i := 0; i < len(s.ready); i++ {
		h := s.ready[i]
		if g, ok := header(h.r, headerForGroup); ok && g != s.group {
			s.ready = append(s.ready[:i], s.ready[i+1:]...) // a replay for another group
			s.finish(h)
			i--
			continue
		}
		if h.kk != "" && (s.busy[h.kk] > 0 || blocked[h.kk]) {
			continue
		}
		if h.notBefore.After(now) {
			if h.kk != "" {
				blocked[h.kk] = true
			}
			if next.IsZero() || h.notBefore.Before(next) {
				next = h.notBefore
			}
			continue
		}
		s.ready = append(s.ready[:i], s.ready[i+1:]...)
		if h.kk != "" {
			s.busy[h.kk]++
		}
		m := message(h.r)
		m.Attempt = h.attempt
		return &delivery{s: s, h: h, msg: m}, time.Time{}
	}
	return nil, next
}

// finish marks h's offset finished; callers hold mu.
func (s *sub) finish(h *held) {
	delete(h.p.open, h.r.Offset)
}

// settle ends a delivery: finished (committable) or put back to be handed
// out again at notBefore with attempt.
func (s *sub) settle(d *delivery, again bool, notBefore time.Time, attempt int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d.h.kk != "" {
		if s.busy[d.h.kk]--; s.busy[d.h.kk] <= 0 {
			delete(s.busy, d.h.kk)
		}
	}
	if s.parts[d.h.r.Partition] != d.h.p || s.closed {
		s.signal()
		return // the partition moved on: its new owner delivers it again
	}
	if !again {
		s.finish(d.h)
		s.signal()
		return
	}
	d.h.notBefore, d.h.attempt = notBefore, attempt
	// back in fetch order, so its key's later records keep waiting for it
	at := len(s.ready)
	for i, h := range s.ready {
		if h.p == d.h.p && h.r.Offset > d.h.r.Offset {
			at = i
			break
		}
	}
	s.ready = append(s.ready, nil)
	copy(s.ready[at+1:], s.ready[at:])
	s.ready[at] = d.h
	s.signal()
}

// close stops fetching, commits what was finished and leaves the group.
func (s *sub) close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.signal()
	s.mu.Unlock()
	s.cancel()
	<-s.done
	ctx, cancel := context.WithTimeout(context.Background(), s.b.c.DialTimeout)
	defer cancel()
	s.commit(ctx, nil)
	s.cl.Close() // leaving the group revokes the partitions: revoked commits again, harmlessly
}

type delivery struct {
	s   *sub
	h   *held
	msg *broker.Message
	mu  sync.Mutex
	end bool
}

func (d *delivery) Message() *broker.Message { return d.msg }

// once makes settling idempotent: the first call counts.
func (d *delivery) once() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.end {
		return false
	}
	d.end = true
	return true
}

func (d *delivery) Ack(context.Context) error {
	if d.once() {
		d.s.settle(d, false, time.Time{}, 0)
	}
	return nil
}

// Retry keeps the record in this consumer and hands it out again after
// delay, with the next attempt number.
func (d *delivery) Retry(_ context.Context, delay time.Duration, _ error) error {
	if d.once() {
		d.s.settle(d, true, time.Now().Add(delay), d.h.attempt+1)
	}
	return nil
}

// DeadLetter produces the message to the dead-letter topic, then finishes
// it. If the produce fails the message is handed out again in a second, with
// the same attempt number, so it is neither lost nor retried forever.
func (d *delivery) DeadLetter(ctx context.Context, cause error) error {
	if !d.once() {
		return nil
	}
	if err := d.s.b.deadLetter(ctx, d.h.r, d.msg, d.s.group, cause); err != nil {
		d.s.settle(d, true, time.Now().Add(time.Second), d.h.attempt)
		return err
	}
	d.s.settle(d, false, time.Time{}, 0)
	return nil
}

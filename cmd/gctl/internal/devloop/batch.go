package devloop

import (
	"slices"
	"time"
)

// maxBatchPaths bounds the paths a batch remembers (a checkout can touch
// thousands); past it only the kinds are kept, which is all a rebuild needs.
const maxBatchPaths = 256

// Batch gathers the changes of one burst. A burst ends when no change has
// come for the debounce interval; Due says when. Not safe for concurrent use:
// one loop owns it.
type Batch struct {
	debounce time.Duration
	last     time.Time // time of the latest change; zero when empty
	kinds    map[Kind]bool
	paths    []string
	dropped  int
}

// NewBatch returns an empty batch that waits for debounce of quiet.
func NewBatch(debounce time.Duration) *Batch {
	return &Batch{debounce: debounce, kinds: map[Kind]bool{}}
}

// Add records a change of kind to rel at now. Ignored kinds are not
// recorded and do not extend the burst.
func (b *Batch) Add(rel string, k Kind, now time.Time) {
	if k == Ignore {
		return
	}
	b.last = now
	b.kinds[k] = true
	if slices.Contains(b.paths, rel) {
		return
	}
	if len(b.paths) < maxBatchPaths {
		b.paths = append(b.paths, rel)
	} else {
		b.dropped++
	}
}

// Empty reports whether nothing was recorded since the last Take.
func (b *Batch) Empty() bool { return b.last.IsZero() }

// Due returns when the burst is over, and false when the batch is empty.
func (b *Batch) Due() (time.Time, bool) {
	if b.Empty() {
		return time.Time{}, false
	}
	return b.last.Add(b.debounce), true
}

// Take returns what the burst asks for and the paths it touched (sorted;
// at most maxBatchPaths, with the number left out), and empties the batch.
func (b *Batch) Take() (Change, bool) {
	if b.Empty() {
		return Change{}, false
	}
	c := Change{Paths: b.paths, More: b.dropped}
	slices.Sort(c.Paths)
	for k := range b.kinds {
		c.Kind = max(c.Kind, k)
	}
	*b = Batch{debounce: b.debounce, kinds: map[Kind]bool{}}
	return c, true
}

// Change is one debounced burst: the most work any of its files asks for
// (Proto > Code > Config) and the files.
type Change struct {
	Kind  Kind
	Paths []string
	More  int // paths not listed, past the bound
}

package config

import "time"

// SetAfter replaces the timer a SourceWatcher waits on between retries.
func SetAfter(w *SourceWatcher, after func(time.Duration) <-chan time.Time) { w.after = after }

package disk

import "io"

// SetWriterWrap injects a wrapper of the temporary file's writer (a failing
// disk).
func SetWriterWrap(s *Store, wrap func(io.Writer) io.Writer) { s.wrap = wrap }

package disk

import (
	"bytes"
	"testing"
	"time"

	"github.com/goxkit/gox/storage"
)

// FuzzDecodeTrailer feeds object files of any bytes (a file placed under
// the root by hand, a disk that corrupted one): decoding returns an error or
// an Info whose size fits in the file, and never panics.
func FuzzDecodeTrailer(f *testing.F) {
	good := append([]byte("content"), encodeTrailer(storage.Info{ContentType: "text/plain", ETag: "e", ModTime: time.Unix(1, 0), Metadata: map[string]string{"a": "b"}})...)
	f.Add(good)
	f.Add([]byte("no trailer at all"))
	f.Add([]byte(magic))
	f.Add(append(bytes.Repeat([]byte{0xff}, 8), magic...))
	f.Fuzz(func(t *testing.T, file []byte) {
		info, err := decodeTrailer(bytes.NewReader(file), int64(len(file)), "k")
		if err != nil {
			return
		}
		if info.Size < 0 || info.Size > int64(len(file)) {
			t.Fatalf("size %d out of a %d-byte file", info.Size, len(file))
		}
	})
}

func TestTrailerRoundTrip(t *testing.T) {
	in := storage.Info{Key: "k", Size: 7, ContentType: "text/plain", ETag: "e", ModTime: time.Unix(5, 0).UTC(), Metadata: map[string]string{"a": "b"}}
	file := append([]byte("content"), encodeTrailer(in)...)
	out, err := decodeTrailer(bytes.NewReader(file), int64(len(file)), "k")
	if err != nil || out.Size != 7 || out.ContentType != in.ContentType || !out.ModTime.Equal(in.ModTime) || out.Metadata["a"] != "b" {
		t.Fatalf("%+v %v", out, err)
	}
}

package disk

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/goxkit/gox/storage"
)

// The trailer ending every object file: JSON, its length (8 bytes, big
// endian) and the magic.
const (
	magic         = "gox.obj1"
	trailerFixed  = 8 + len(magic)
	maxTrailerLen = 16 << 10 // metadata is at most 2 KiB, the content type 256 B
)

type trailer struct {
	ContentType string            `json:"content_type"`
	ETag        string            `json:"etag"`
	ModTime     time.Time         `json:"mod_time"`
	Metadata    map[string]string `json:"metadata,omitempty"`
}

func encodeTrailer(i storage.Info) []byte {
	b, _ := json.Marshal(trailer{ContentType: i.ContentType, ETag: i.ETag, ModTime: i.ModTime, Metadata: i.Metadata})
	b = binary.BigEndian.AppendUint64(b, uint64(len(b)))
	return append(b, magic...)
}

// errNotObject: the file has no valid trailer; it was not written by a
// disk Store.
var errNotObject = errors.New("not an object written by the gox disk store (no valid trailer)")

// decodeTrailer reads the Info of the object in f, of fileSize bytes.
func decodeTrailer(f io.ReaderAt, fileSize int64, key string) (storage.Info, error) {
	if fileSize < int64(trailerFixed) {
		return storage.Info{}, errNotObject
	}
	var fixed [trailerFixed]byte
	if _, err := f.ReadAt(fixed[:], fileSize-int64(trailerFixed)); err != nil {
		return storage.Info{}, err
	}
	n := binary.BigEndian.Uint64(fixed[:8])
	if string(fixed[8:]) != magic || n > maxTrailerLen || int64(n) > fileSize-int64(trailerFixed) {
		return storage.Info{}, errNotObject
	}
	buf := make([]byte, n)
	start := fileSize - int64(trailerFixed) - int64(n)
	if _, err := f.ReadAt(buf, start); err != nil {
		return storage.Info{}, err
	}
	var t trailer
	if err := json.Unmarshal(buf, &t); err != nil {
		return storage.Info{}, fmt.Errorf("%w: %v", errNotObject, err)
	}
	return storage.Info{Key: key, Size: start, ContentType: t.ContentType, ETag: t.ETag, ModTime: t.ModTime, Metadata: t.Metadata}, nil
}

// open opens the object of key and reads its Info. A directory, or a file
// that vanished, is storage.ErrNotExist.
func (s *Store) open(key string) (*os.File, storage.Info, error) {
	if err := s.checkKey(key); err != nil {
		return nil, storage.Info{}, err
	}
	f, err := s.root.Open(key)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) || isNotDir(err) {
			return nil, storage.Info{}, storage.NotExist(key)
		}
		return nil, storage.Info{}, s.pathError("open", key, err)
	}
	fi, err := f.Stat()
	if err == nil && fi.IsDir() {
		f.Close()
		return nil, storage.Info{}, storage.NotExist(key)
	}
	var info storage.Info
	if err == nil {
		info, err = decodeTrailer(f, fi.Size(), key)
	}
	if err != nil {
		f.Close()
		return nil, storage.Info{}, fmt.Errorf("storage/disk: object %q: %s: %w", key, s.path(key), err)
	}
	return f, info, nil
}

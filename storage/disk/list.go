package disk

import (
	"context"
	"errors"
	"io/fs"
	"slices"
	"strings"

	"github.com/goxkit/gox/storage"
)

// List implements storage.Store.
func (s *Store) List(ctx context.Context, prefix string, page storage.Page) (storage.ListResult, error) {
	if err := storage.ValidatePrefix(prefix); err != nil {
		return storage.ListResult{}, err
	}
	after, err := storage.DecodeToken(page.Token)
	if err != nil {
		return storage.ListResult{}, err
	}
	l := lister{s: s, ctx: ctx, prefix: prefix, after: after, limit: page.EffectiveLimit()}
	if _, err := l.walk("."); err != nil {
		return storage.ListResult{}, err
	}
	res := storage.ListResult{Items: l.items}
	if l.more {
		res.Next = storage.EncodeToken(l.items[len(l.items)-1].Key)
	}
	return res, nil
}

type lister struct {
	s      *Store
	ctx    context.Context
	prefix string
	after  string
	limit  int
	items  []storage.Info
	more   bool
}

// walk visits dir's entries in key order; it returns true once the listing
// is complete (the page is full or the keys passed the prefix).
func (l *lister) walk(dir string) (bool, error) {
	if err := l.ctx.Err(); err != nil {
		return true, err
	}
	f, err := l.s.root.Open(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) && dir != "." {
			return false, nil // removed while listing
		}
		return true, l.s.pathError("list", dir, err)
	}
	entries, err := f.ReadDir(-1)
	f.Close()
	if err != nil {
		return true, l.s.pathError("list", dir, err)
	}
	type entry struct {
		name string // key, with a "/" after a directory's
		dir  bool
	}
	var es []entry
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), tmpPrefix) || e.Type()&fs.ModeSymlink != 0 {
			continue
		}
		name := e.Name()
		if dir != "." {
			name = dir + "/" + name
		}
		if e.IsDir() {
			name += "/"
		}
		es = append(es, entry{name, e.IsDir()})
	}
	// "a.txt" < "a/b": sorting directories with their slash is key order
	slices.SortFunc(es, func(a, b entry) int { return strings.Compare(a.name, b.name) })
	for _, e := range es {
		if e.name > l.prefix && !strings.HasPrefix(e.name, l.prefix) && !strings.HasPrefix(l.prefix, e.name) {
			return true, nil // past every key with the prefix
		}
		if e.dir {
			if !strings.HasPrefix(e.name, l.prefix) && !strings.HasPrefix(l.prefix, e.name) {
				continue
			}
			if e.name <= l.after && !strings.HasPrefix(l.after, e.name) {
				continue // every key in it is before the token
			}
			if done, err := l.walk(strings.TrimSuffix(e.name, "/")); done || err != nil {
				return true, err
			}
			continue
		}
		if !strings.HasPrefix(e.name, l.prefix) || e.name <= l.after {
			continue
		}
		if len(l.items) == l.limit {
			l.more = true
			return true, nil
		}
		if err := l.add(e.name); err != nil {
			return true, err
		}
	}
	return false, nil
}

func (l *lister) add(key string) error {
	f, info, err := l.s.open(key)
	switch {
	case err == nil:
		f.Close()
		l.items = append(l.items, info)
		return nil
	case errors.Is(err, storage.ErrNotExist), errors.Is(err, errNotObject):
		return nil // deleted while listing, or a file not written by the store
	case errors.Is(err, storage.ErrInvalidKey):
		return nil // a file whose name is no key (placed by hand)
	}
	return err
}

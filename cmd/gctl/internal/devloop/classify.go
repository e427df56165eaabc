package devloop

import (
	"path/filepath"
	"strings"
)

// Kind is what a changed file asks of the loop.
type Kind uint8

// The kinds of change, from least to most work.
const (
	Ignore Kind = iota // not a source of the binary (tests, docs, editor temp files, output)
	Config             // config.yaml: the running service reloads it itself
	Code               // Go code or an embedded file: rebuild and restart
	Proto              // a .proto file: generate, then rebuild and restart
)

func (k Kind) String() string {
	switch k {
	case Config:
		return "config"
	case Code:
		return "code"
	case Proto:
		return "proto"
	}
	return "ignore"
}

// skipDirs are directory names never watched: version control, vendored or
// third-party trees, fixtures, runtime data and build output.
var skipDirs = map[string]bool{
	"vendor": true, "node_modules": true, "testdata": true, "third_party": true,
	"data": true, "bin": true, "dist": true, "build": true, "tmp": true,
}

// SkipDir reports whether the directory named name (a base name) is left
// out of the watch, with everything under it.
func SkipDir(name string) bool {
	return skipDirs[name] || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")
}

// codeExt are extensions whose files end up in the binary: Go sources,
// templates and the files gox projects embed (migrations, static pages).
var codeExt = map[string]bool{
	".go": true, ".tmpl": true, ".tpl": true, ".gohtml": true, ".html": true, ".sql": true,
}

// Classify says what a change to path (relative to the project root,
// either separator) asks for.
func Classify(rel string) Kind {
	rel = filepath.ToSlash(filepath.Clean(rel))
	parts := strings.Split(rel, "/")
	for _, d := range parts[:len(parts)-1] {
		if SkipDir(d) {
			return Ignore
		}
	}
	base := parts[len(parts)-1]
	if editorTemp(base) {
		return Ignore
	}
	switch {
	case rel == "config.yaml" || rel == "config.yml":
		return Config
	case base == "go.mod" || base == "go.sum":
		return Code
	case strings.HasSuffix(base, "_test.go"):
		return Ignore // tests are not in the binary
	case strings.HasSuffix(base, ".proto"):
		return Proto
	case codeExt[filepath.Ext(base)]:
		return Code
	}
	return Ignore
}

// editorTemp reports whether base is a file editors write next to the one
// being saved: vim swap and backup files and its 4913 probe, emacs lock and
// autosave files, JetBrains safe-write copies, and other "~", ".tmp",
// ".bak", ".orig" leftovers, and hidden files.
func editorTemp(base string) bool {
	if base == "4913" || strings.HasPrefix(base, ".") || strings.HasPrefix(base, "#") || strings.HasSuffix(base, "~") {
		return true
	}
	for _, s := range []string{".swp", ".swo", ".swx", ".tmp", ".bak", ".orig", ".rej", "___jb_tmp___", "___jb_old___"} {
		if strings.HasSuffix(base, s) {
			return true
		}
	}
	return false
}

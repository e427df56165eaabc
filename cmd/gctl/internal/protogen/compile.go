package protogen

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/bufbuild/protocompile"
	"github.com/bufbuild/protocompile/linker"
	"github.com/bufbuild/protocompile/reporter"
)

// CompileOptions says what to compile.
type CompileOptions struct {
	// ImportPaths are the include directories (protoc's -I), searched in
	// order. At least one is required.
	ImportPaths []string
	// Files are the files to compile, as slash-separated names relative to
	// an import path (as protoc names them: "api/greeter/v1/greeter.proto").
	Files []string
}

// CompileErrors is every problem Compile found, sorted by file and position.
// Each is a file:line:column: message line when protocompile knows the
// position (a reporter.ErrorWithPos).
type CompileErrors []error

// Error is one line per error.
func (e CompileErrors) Error() string {
	lines := make([]string, len(e))
	for i, err := range e {
		lines[i] = err.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap gives errors.Is and errors.As access to each error.
func (e CompileErrors) Unwrap() []error { return e }

// Compile parses and links opts.Files and their imports. On success the
// result holds one linked file per distinct name in opts.Files, in that order. On
// failure the error is a CompileErrors with every problem found. A name given
// twice is compiled once.
func Compile(opts CompileOptions) (linker.Files, error) {
	if len(opts.ImportPaths) == 0 {
		return nil, errors.New("protogen: no import path")
	}
	if len(opts.Files) == 0 {
		return nil, errors.New("protogen: no file to compile")
	}
	r := &dirResolver{}
	defer r.close()
	for _, dir := range opts.ImportPaths {
		root, err := os.OpenRoot(dir)
		if err != nil {
			return nil, fmt.Errorf("protogen: import path: %w", err)
		}
		r.dirs = append(r.dirs, dir)
		r.roots = append(r.roots, root)
	}
	var errs CompileErrors
	var files []string
	for _, name := range opts.Files {
		if slices.Contains(files, name) {
			continue
		}
		files = append(files, name)
		if err := r.checkInput(name); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return compile(context.Background(), files, r.find)
}

// compile runs protocompile over files with find resolving every name that
// is not a well-known type, and collects every error reported.
func compile(ctx context.Context, files []string, find func(string) (protocompile.SearchResult, error)) (linker.Files, error) {
	rec := &recorder{
		find:    protocompile.WithStandardImports(protocompile.ResolverFunc(find)).FindFileByPath,
		sources: map[string][]byte{},
		missing: map[string]error{},
	}
	linked, reported, err := compileOnce(ctx, files, rec)
	if err == nil {
		return linked, nil
	}
	// protocompile waits only for the files it was asked for: an error in
	// an import it stopped waiting on (its importer failed first) is
	// reported late or never, and of the imports that can not be resolved
	// it returns only the first. So find every file the inputs import, and
	// compile again with all of them asked for.
	roots, importErrs := rec.closure(files)
	if len(roots) > len(files) {
		_, reported, err = compileOnce(ctx, roots, rec)
	}
	var errs CompileErrors
	seen := map[string]bool{}
	add := func(e error) {
		if msg := e.Error(); !seen[msg] {
			seen[msg] = true
			errs = append(errs, e)
		}
	}
	for _, e := range reported {
		add(e)
	}
	// An import that can not be resolved, or a file that can not be read,
	// comes back as the error itself rather than through the reporter.
	if !errors.Is(err, reporter.ErrInvalidSource) {
		add(err)
	}
	for _, e := range importErrs {
		add(e)
	}
	slices.SortStableFunc(errs, func(a, b error) int {
		var pa, pb reporter.ErrorWithPos
		okA, okB := errors.As(a, &pa), errors.As(b, &pb)
		switch {
		case okA && okB:
			x, y := pa.GetPosition(), pb.GetPosition()
			if c := strings.Compare(x.Filename, y.Filename); c != 0 {
				return c
			}
			if x.Line != y.Line {
				return x.Line - y.Line
			}
			return x.Col - y.Col
		case okA:
			return -1
		case okB:
			return 1
		}
		return 0
	})
	return nil, oneErrorPerCycle(errs)
}

// compileOnce runs protocompile once; reported holds what its reporter got
// until Compile returned.
func compileOnce(ctx context.Context, files []string, rec *recorder) (linker.Files, []reporter.ErrorWithPos, error) {
	var mu sync.Mutex
	var reported []reporter.ErrorWithPos
	c := protocompile.Compiler{
		Resolver: protocompile.ResolverFunc(rec.findFile),
		// Standard source info: the comments protoc keeps, so generated
		// code gets the same doc comments.
		SourceInfoMode: protocompile.SourceInfoStandard,
		Reporter: reporter.NewReporter(func(err reporter.ErrorWithPos) error {
			mu.Lock()
			reported = append(reported, err)
			mu.Unlock()
			return nil // go on: report every error
		}, nil),
	}
	linked, err := c.Compile(ctx, files...)
	mu.Lock()
	defer mu.Unlock()
	return linked, slices.Clone(reported), err
}

// oneErrorPerCycle keeps the first error of each import cycle: protocompile
// may find the same cycle from each file in it.
func oneErrorPerCycle(errs CompileErrors) CompileErrors {
	const prefix = "cycle found in imports: "
	seen := map[string]bool{}
	out := errs[:0]
	for _, e := range errs {
		msg := e.Error()
		if i := strings.Index(msg, prefix); i >= 0 {
			files := strings.Split(msg[i+len(prefix):], " -> ")
			slices.Sort(files)
			key := strings.Join(slices.Compact(files), "\x00")
			if seen[key] {
				continue
			}
			seen[key] = true
		}
		out = append(out, e)
	}
	return out
}

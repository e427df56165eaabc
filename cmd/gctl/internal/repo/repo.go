// Package repo generates repositories for `gctl repo` inside a gox project:
// --type db over a gorm model of internal/model, api over another service's
// JSON HTTP API, es over Elasticsearch; --cache adds cache-aside reads. The
// generated package is named after the last element of --dir and comes with
// tests. Existing files are never overwritten without --force.
package repo

import (
	"bytes"
	"embed"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"text/template"
	"unicode"

	"golang.org/x/mod/modfile"
)

//go:embed templates
var templates embed.FS

// Options are the flags of `gctl repo`.
type Options struct {
	Type  string // db | api | es
	Dir   string // package directory, relative to Root
	Model string // db: the model type in internal/model
	Cache bool
	Force bool
	Root  string // project root (holds go.mod); default "."
}

// Field is a model field the generated tests fill in.
type Field struct {
	Name  string
	Value string // a Go expression using i (0, 1, ...)
}

// Data is what the templates see.
type Data struct {
	Options
	Module   string // the project's module path
	Pkg      string
	Hdr      string
	Reason   string // NOT_FOUND reason
	Lower    string // key prefix and messages
	PKField  string
	PKType   string
	PKColumn string
	Created  bool    // the model has CreatedAt, which Update leaves alone
	Fields   []Field // fillable fields for tests
}

var identRE = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// Generate writes the repository and its test. It checks everything before
// writing anything.
func Generate(o Options) ([]string, error) {
	switch o.Type {
	case "db", "api", "es":
	default:
		return nil, fmt.Errorf("--type %q is not one of db, api, es", o.Type)
	}
	if o.Root == "" {
		o.Root = "."
	}
	gomod, err := os.ReadFile(filepath.Join(o.Root, "go.mod"))
	if err != nil {
		return nil, fmt.Errorf("no go.mod in %s: run gctl repo at the root of a project made by gctl new", o.Root)
	}
	mod := modfile.ModulePath(gomod)
	if o.Dir == "" {
		return nil, fmt.Errorf("--dir is required: the package directory, such as internal/repo/user")
	}
	clean := filepath.ToSlash(filepath.Clean(o.Dir))
	if filepath.IsAbs(o.Dir) || clean == "." || strings.HasPrefix(clean, "../") {
		return nil, fmt.Errorf("--dir %q must be a directory inside the project, such as internal/repo/user", o.Dir)
	}
	pkg := filepath.Base(clean)
	if !identRE.MatchString(pkg) {
		return nil, fmt.Errorf("--dir %q: its last element %q must be a valid package name (lower case letters, digits, _)", o.Dir, pkg)
	}
	d := Data{Options: o, Module: mod, Pkg: pkg, Hdr: "scaffolded by gctl repo; safe to edit."}
	d.Options.Dir = clean
	dataGo, _ := os.ReadFile(filepath.Join(o.Root, "internal", "data", "data.go"))
	switch o.Type {
	case "db":
		if o.Model == "" {
			return nil, fmt.Errorf("--model is required with --type db: a type of internal/model, such as Greeting")
		}
		if !regexp.MustCompile(`\bDB\s+\*xgorm\.DB\b`).Match(dataGo) {
			return nil, fmt.Errorf("internal/data has no database: create the project with gctl new --db sqlite|mysql|postgres|clickhouse")
		}
		if err := d.readModel(filepath.Join(o.Root, "internal", "model")); err != nil {
			return nil, err
		}
	default:
		if o.Model != "" {
			return nil, fmt.Errorf("--model is for --type db; --type %s names its resource after --dir", o.Type)
		}
		d.Model = exported(pkg)
		d.Lower = pkg
	}
	if o.Cache && !regexp.MustCompile(`\bCache\s+cache\.Store\b`).Match(dataGo) {
		return nil, fmt.Errorf("--cache: internal/data has no cache: create the project with gctl new --cache memory|redis")
	}
	d.Reason = strings.ToUpper(d.Lower) + "_NOT_FOUND"

	files := map[string]string{"repo.go": "repo.go.tmpl", "repo_test.go": "repo_test.go.tmpl"}
	out := map[string][]byte{}
	for name, tmpl := range files {
		raw, err := templates.ReadFile("templates/" + o.Type + "/" + tmpl)
		if err != nil {
			return nil, err
		}
		t, err := template.New(tmpl).Option("missingkey=error").Parse(string(raw))
		if err != nil {
			return nil, fmt.Errorf("template %s/%s: %w", o.Type, tmpl, err)
		}
		var b bytes.Buffer
		if err := t.Execute(&b, d); err != nil {
			return nil, fmt.Errorf("template %s/%s: %w", o.Type, tmpl, err)
		}
		src, err := format.Source(b.Bytes())
		if err != nil {
			return nil, fmt.Errorf("template %s/%s renders invalid Go: %w\n%s", o.Type, tmpl, err, b.Bytes())
		}
		out[filepath.Join(o.Root, clean, name)] = src
	}
	names := make([]string, 0, len(out))
	for n := range out {
		names = append(names, n)
	}
	sort.Strings(names) // the same files, checked and written in the same order every run
	var exist []string
	for _, n := range names {
		if _, err := os.Stat(n); err == nil && !o.Force {
			exist = append(exist, n)
		}
	}
	if len(exist) > 0 {
		return nil, fmt.Errorf("%s exists; gctl repo never overwrites a file without --force", strings.Join(exist, ", "))
	}
	if err := os.MkdirAll(filepath.Join(o.Root, clean), 0o755); err != nil {
		return nil, err
	}
	for _, n := range names {
		if err := os.WriteFile(n, out[n], 0o644); err != nil {
			return nil, err
		}
	}
	return names, nil
}

// readModel finds the model's struct in dir and fills the primary key and
// the fields tests can set.
func (d *Data) readModel(dir string) error {
	paths, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	var found *ast.StructType
	var have []string
	fset := token.NewFileSet()
	for _, p := range paths {
		if strings.HasSuffix(p, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, p, nil, 0)
		if err != nil {
			return fmt.Errorf("read internal/model: %w", err)
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.TYPE {
				continue
			}
			for _, spec := range gd.Specs {
				ts := spec.(*ast.TypeSpec)
				st, ok := ts.Type.(*ast.StructType)
				if !ok || !ts.Name.IsExported() {
					continue
				}
				have = append(have, ts.Name.Name)
				if ts.Name.Name == d.Model {
					found = st
				}
			}
		}
	}
	if found == nil {
		sort.Strings(have)
		list := "none"
		if len(have) > 0 {
			list = strings.Join(have, ", ")
		}
		return fmt.Errorf("model %q not found in internal/model (models there: %s); add the struct first", d.Model, list)
	}
	d.Lower = snake(d.Model)
	for _, f := range found.Fields.List {
		typ := types.ExprString(f.Type)
		tag := ""
		if f.Tag != nil {
			tag = reflect.StructTag(strings.Trim(f.Tag.Value, "`")).Get("gorm")
		}
		for _, n := range f.Names {
			if !n.IsExported() {
				continue
			}
			switch {
			case strings.Contains(tag, "primaryKey") || (n.Name == "ID" && d.PKField == ""):
				d.PKField, d.PKType, d.PKColumn = n.Name, typ, snake(n.Name)
				if m := regexp.MustCompile(`column:(\w+)`).FindStringSubmatch(tag); m != nil {
					d.PKColumn = m[1]
				}
			case n.Name == "CreatedAt":
				d.Created = true
			case typ == "string":
				d.Fields = append(d.Fields, Field{n.Name, fmt.Sprintf(`fmt.Sprint(%q, i)`, strings.ToLower(n.Name)+"-")})
			case typ == "int" || typ == "int64" || typ == "int32" || typ == "uint" || typ == "uint64" || typ == "float64":
				d.Fields = append(d.Fields, Field{n.Name, typ + "(i + 1)"})
			}
		}
	}
	if d.PKField == "" {
		return fmt.Errorf("model %q has no primary key: add an ID field or a `gorm:\"primaryKey\"` tag", d.Model)
	}
	switch d.PKType {
	case "uint", "uint64", "uint32", "int", "int64", "int32", "string":
	default:
		return fmt.Errorf("model %q: primary key %s has type %s; gctl repo handles integer and string keys", d.Model, d.PKField, d.PKType)
	}
	if d.PKType == "string" {
		return fmt.Errorf("model %q: string primary keys are not generated yet (tests could not create rows without knowing the key); use an integer ID", d.Model)
	}
	return nil
}

// snake is gorm's default column naming for common names: UserID → user_id.
func snake(s string) string {
	var b strings.Builder
	r := []rune(s)
	for i, c := range r {
		if unicode.IsUpper(c) {
			if i > 0 && (unicode.IsLower(r[i-1]) || (i+1 < len(r) && unicode.IsLower(r[i+1]))) {
				b.WriteByte('_')
			}
			b.WriteRune(unicode.ToLower(c))
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

func exported(s string) string {
	parts := strings.Split(s, "_")
	for i, p := range parts {
		if p != "" {
			parts[i] = strings.ToUpper(p[:1]) + p[1:]
		}
	}
	return strings.Join(parts, "")
}

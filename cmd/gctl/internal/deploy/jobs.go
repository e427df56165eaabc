package deploy

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Job is a queue job of the project: `queue <Name>` runs its consumers.
type Job struct {
	Name      string
	Consumers []JobConsumer
}

// JobConsumer is one consumer of a job: the topic it reads and its
// consumer group, the names the queue backends derive their consumer
// groups, queues and durable consumers from (KEDA watches those).
type JobConsumer struct {
	Topic, Group string
}

// ParseJobs reads the jobs of the project's internal/job package from its
// source, without building it: the keys of the map literal that func
// Consumers returns (as gctl new writes it), each with the Topic and
// Options.Group of its Consumer literals. Topics and groups may be string
// literals or string constants of the package. A job whose name is not a
// literal, or a package without such a function, is an error naming the
// file; the jobs read until then are returned with it.
func ParseJobs(dir string) ([]Job, error) {
	fset := token.NewFileSet()
	entries, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%s: no such directory: the consumer workloads of the chart list no job (add them to values.yaml consumers)", dir)
		}
		return nil, err
	}
	var files []*ast.File
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, e.Name()), nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, fmt.Errorf("reading the jobs: %w", err)
		}
		files = append(files, f)
	}
	consts := stringConsts(files)
	for _, f := range files {
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Name.Name != "Consumers" || fn.Recv != nil || fn.Body == nil {
				continue
			}
			lit := returnedMap(fn.Body)
			if lit == nil {
				return nil, fmt.Errorf("%s: func Consumers does not return a map literal; gctl deploy reads the job names from its keys (list the consumers in values.yaml instead)",
					fset.Position(fn.Pos()))
			}
			return jobsOf(fset, lit, consts)
		}
	}
	return nil, fmt.Errorf("%s: no func Consumers; gctl deploy reads the job names from the map it returns (list the consumers in values.yaml instead)", dir)
}

func jobsOf(fset *token.FileSet, lit *ast.CompositeLit, consts map[string]string) ([]Job, error) {
	var jobs []Job
	for _, el := range lit.Elts {
		kv, ok := el.(*ast.KeyValueExpr)
		if !ok {
			continue
		}
		name, ok := stringValue(kv.Key, consts)
		if !ok || !validName.MatchString(name) {
			return jobs, fmt.Errorf("%s: a job name must be a string constant usable in a Kubernetes name (lower-case letters, digits, '-')", fset.Position(kv.Key.Pos()))
		}
		j := Job{Name: name}
		if list, ok := kv.Value.(*ast.CompositeLit); ok {
			for _, c := range list.Elts {
				if cl, ok := c.(*ast.CompositeLit); ok {
					j.Consumers = append(j.Consumers, consumerOf(cl, consts))
				}
			}
		}
		jobs = append(jobs, j)
	}
	slices.SortFunc(jobs, func(a, b Job) int { return strings.Compare(a.Name, b.Name) })
	return jobs, nil
}

// consumerOf reads Topic and Options.Group of a Consumer literal.
func consumerOf(cl *ast.CompositeLit, consts map[string]string) JobConsumer {
	var jc JobConsumer
	for _, f := range keyed(cl) {
		switch f.key {
		case "Topic":
			jc.Topic, _ = stringValue(f.val, consts)
		case "Options":
			if o, ok := f.val.(*ast.CompositeLit); ok {
				for _, of := range keyed(o) {
					if of.key == "Group" {
						jc.Group, _ = stringValue(of.val, consts)
					}
				}
			}
		}
	}
	return jc
}

type field struct {
	key string
	val ast.Expr
}

func keyed(cl *ast.CompositeLit) []field {
	var out []field
	for _, el := range cl.Elts {
		if kv, ok := el.(*ast.KeyValueExpr); ok {
			if id, ok := kv.Key.(*ast.Ident); ok {
				out = append(out, field{id.Name, kv.Value})
			}
		}
	}
	return out
}

// returnedMap is the map literal of body's return statement.
func returnedMap(body *ast.BlockStmt) *ast.CompositeLit {
	var found *ast.CompositeLit
	ast.Inspect(body, func(n ast.Node) bool {
		r, ok := n.(*ast.ReturnStmt)
		if !ok || found != nil || len(r.Results) != 1 {
			return found == nil
		}
		if cl, ok := r.Results[0].(*ast.CompositeLit); ok {
			if _, ok := cl.Type.(*ast.MapType); ok {
				found = cl
			}
		}
		return false
	})
	return found
}

// stringConsts are the package's string constants declared with a literal.
func stringConsts(files []*ast.File) map[string]string {
	out := map[string]string{}
	for _, f := range files {
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, s := range g.Specs {
				vs := s.(*ast.ValueSpec)
				for i, n := range vs.Names {
					if i < len(vs.Values) {
						if v, ok := stringValue(vs.Values[i], nil); ok {
							out[n.Name] = v
						}
					}
				}
			}
		}
	}
	return out
}

func stringValue(e ast.Expr, consts map[string]string) (string, bool) {
	switch v := e.(type) {
	case *ast.BasicLit:
		if v.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(v.Value)
		return s, err == nil
	case *ast.Ident:
		s, ok := consts[v.Name]
		return s, ok
	}
	return "", false
}

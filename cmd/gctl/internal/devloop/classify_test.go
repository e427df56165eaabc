package devloop

import (
	"strings"
	"testing"
	"time"
)

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		path string
		want Kind
	}{
		{"main.go", Code},
		{"internal/handler/hello.go", Code},
		{"internal/handler/hello_test.go", Ignore},
		{"go.mod", Code},
		{"go.sum", Code},
		{"internal/migrations/00001_settings.sql", Code},
		{"web/templates/page.html", Code},
		{"web/page.gohtml", Code},
		{"api/greeter/v1/greeter.proto", Proto},
		{"config.yaml", Config},
		{"configs/other.yaml", Ignore},
		{"internal/config.yaml", Ignore},
		{"README.md", Ignore},
		{"api/openapi.json", Ignore},
		{".git/index", Ignore},
		{"vendor/x/y.go", Ignore},
		{"data/app.db", Ignore},
		{"bin/x.go", Ignore},
		{"internal/testdata/a.go", Ignore},
		{"internal/.hello.go.swp", Ignore},
		{"internal/hello.go~", Ignore},
		{"internal/4913", Ignore},
		{"internal/#hello.go#", Ignore},
		{"internal/.#hello.go", Ignore},
		{"internal/hello.go___jb_tmp___", Ignore},
		{"internal/hello.go.tmp", Ignore},
		{`internal\handler\hello.go`, Code},
	} {
		if got := Classify(strings.ReplaceAll(tc.path, `\`, "/")); got != tc.want {
			t.Errorf("Classify(%q) = %s, want %s", tc.path, got, tc.want)
		}
	}
}

func TestBatch(t *testing.T) {
	t0 := time.Unix(0, 0)
	b := NewBatch(200 * time.Millisecond)
	if _, ok := b.Due(); ok {
		t.Fatal("an empty batch is due")
	}
	b.Add("README.md", Ignore, t0)
	if !b.Empty() {
		t.Fatal("an ignored file made the batch non-empty")
	}
	b.Add("config.yaml", Config, t0)
	b.Add("b.go", Code, t0.Add(50*time.Millisecond))
	b.Add("b.go", Code, t0.Add(100*time.Millisecond))
	if due, _ := b.Due(); !due.Equal(t0.Add(300 * time.Millisecond)) {
		t.Fatalf("due %v, want 300ms after the start: 200ms after the last change", due.Sub(t0))
	}
	c, _ := b.Take()
	if c.Kind != Code || strings.Join(c.Paths, ",") != "b.go,config.yaml" {
		t.Fatalf("took %+v", c)
	}
	if !b.Empty() {
		t.Fatal("Take left changes")
	}
	for i := range maxBatchPaths + 10 {
		b.Add(strings.Repeat("x", i+1)+".proto", Proto, t0)
	}
	if c, _ := b.Take(); c.Kind != Proto || len(c.Paths) != maxBatchPaths || c.More != 10 {
		t.Fatalf("a large burst: kind %s, %d paths, %d more", c.Kind, len(c.Paths), c.More)
	}
}

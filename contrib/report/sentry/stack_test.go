package sentry

import (
	"strconv"
	"strings"
	"testing"
)

const crashText = `goroutine 7 [running]:
main.(*Server).handle(0xc000010000, {0x4b2c3d, 0x5})
	/src/server.go:40 +0x1d
panic({0x4a1b20?, 0x5d2c10?})
	/usr/lib/go/src/runtime/panic.go:792 +0x132
main.lookup(...)
	/src/lookup.go:12
main.(*Server).handle(0xc000010000, {0x4b2c3d, 0x5})
	/src/server.go:44 +0x85
created by net/http.(*Server).Serve in goroutine 1
	/usr/lib/go/src/net/http/server.go:3454 +0x485

goroutine 8 [chan receive]:
main.other()
	/src/other.go:1 +0x1
`

func TestStacktraceOfACrash(t *testing.T) {
	st := stacktrace(crashText)
	if st == nil {
		t.Fatal("no frames")
	}
	var got []string
	for _, f := range st.Frames {
		got = append(got, f.Module+"."+f.Function+" "+f.AbsPath+":"+strconv.Itoa(f.Lineno))
	}
	// oldest first; the recovering frames above panic and goroutine 8 left out
	want := []string{
		"net/http.(*Server).Serve /usr/lib/go/src/net/http/server.go:3454",
		"main.(*Server).handle /src/server.go:44",
		"main.lookup /src/lookup.go:12",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("frames\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestStacktraceOfAGoxError(t *testing.T) {
	text := "github.com/acme/svc/store.(*DB).Get\n\t/src/store/db.go:88\ngithub.com/acme/svc.handler\n\t/src/handler.go:12\nruntime.goexit\n\t/usr/lib/go/src/runtime/asm_amd64.s:1700\n"
	st := stacktrace(text)
	if st == nil || len(st.Frames) != 2 {
		t.Fatalf("frames %+v, want 2 (runtime.goexit left out)", st)
	}
	top := st.Frames[1]
	if top.Module != "github.com/acme/svc/store" || top.Function != "(*DB).Get" || top.Lineno != 88 {
		t.Errorf("innermost frame %+v", top)
	}
}

func TestStacktraceOfNoise(t *testing.T) {
	for _, s := range []string{"", "panic: boom", "\t/no/function.go:1", "goroutine 1 [running]:\n", "a b c\n\td:e:f"} {
		if st := stacktrace(s); st != nil {
			t.Errorf("stacktrace(%q) = %+v, want none", s, st.Frames)
		}
	}
	// a location whose line does not parse is kept as the file
	st := stacktrace("main.f()\n\t/src/x.go:notanumber\n")
	if st == nil || st.Frames[0].AbsPath != "/src/x.go:notanumber" || st.Frames[0].Lineno != 0 {
		t.Errorf("frames %+v", st)
	}
	// deep stacks are cut at maxFrames
	deep := strings.Repeat("main.f()\n\t/src/x.go:1\n", 3*maxFrames)
	if st := stacktrace(deep); len(st.Frames) != maxFrames {
		t.Errorf("%d frames of a deep stack, want %d", len(st.Frames), maxFrames)
	}
}

// FuzzStacktrace: whatever text a report holds as its stack, the event gets
// at most maxFrames frames and nothing panics.
func FuzzStacktrace(f *testing.F) {
	f.Add(crashText)
	f.Add("main.f(0x1, {0x2})\n\t/src/x.go:9 +0x1\ncreated by main.g in goroutine 1\n\t/src/y.go:3\n")
	f.Add("panic(\n\t:\n)\n((((\n\t:-1\n")
	f.Fuzz(func(t *testing.T, s string) {
		if st := stacktrace(s); st != nil && (len(st.Frames) == 0 || len(st.Frames) > maxFrames) {
			t.Fatalf("%d frames", len(st.Frames))
		}
	})
}

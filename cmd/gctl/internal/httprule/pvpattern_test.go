package httprule

import (
	"math"
	"math/big"
	"regexp"
	"strconv"
	"testing"
)

var patternCases = []struct{ re2, want string }{
	{`^[a-z]+\d*$`, `^[a-z]+[0-9]*$`},
	{`a.b`, `a[^\n]b`},
	{`(?s)a.b`, `a[\s\S]b`},
	{`\w+@\w+\.com`, `[0-9A-Z_a-z]+@[0-9A-Z_a-z]+\.com`},
	{`\S+`, `[^\x09\x0A\x0C\x0D ]+`},
	{`[^/]+`, `[^/]+`},
	{`(a|b)c`, `(?:[ab])c`},
	{`(ab|cd)e`, `(?:ab|cd)e`},
	{`a|bc|d`, `a|bc|d`},
	{`(ab){2}x{1,}y{2,3}z*?`, `(?:ab){2}x{1,}y{2,3}z*`},
	{`\Aabc\z`, `^abc$`},
	{`[\-\]\\^]`, `[\-\\-\^]`}, // -, then \ to ^
	{"\\n\\t\x7f", `\x0A\x09\x7F`},
	{`a/b\.c\$`, `a\/b\.c\$`},
	{`(?i)k`, "[Kk\u212a]"},
	{`(?i)ß`, "[ßẞ]"},
	{`(?i)ā`, "[Āā]"},
	{`\x{1F600}+`, "😀+"},
	{`\bword\B`, `\bword\B`},
	{`^$`, `^$`},
	{`(?:)`, `(?:)`},
	// left out: multi-line anchors, a class too large to spell out, no match
	{`(?m)^a$`, ""},
	{`\pL+`, ""},
	{`[^\x00-\x{10FFFF}]`, ""},
	{`(`, ""},
}

// TestPortablePattern checks the written patterns, and that they match
// what the RE2 pattern matches.
func TestPortablePattern(t *testing.T) {
	probes := []string{"", "a", "ab", "abab", "abc", "a\nb", "a\rb", "aXb", "K", "k", "\u212a", "ß", "ẞ", "Ā", "ā",
		"x@y.com", "word ", "wordy", "a/b.c$", "😀", "abcd1", "\n\t\x7f", "-", "]", "^", "\\", "ababxyyz"}
	for _, c := range patternCases {
		got, ok := portablePattern(c.re2)
		if c.want == "" {
			if ok {
				t.Errorf("%q: written as %q, want it left out", c.re2, got)
			}
			continue
		}
		if !ok || got != c.want {
			t.Errorf("%q: %q (%v), want %q", c.re2, got, ok, c.want)
			continue
		}
		orig, trans := regexp.MustCompile(c.re2), regexp.MustCompile(got)
		for _, p := range probes {
			if orig.MatchString(p) != trans.MatchString(p) {
				t.Errorf("%q as %q: %q matches %v, was %v", c.re2, got, p, trans.MatchString(p), orig.MatchString(p))
			}
		}
	}
}

// FuzzPortablePattern: a written pattern is RE2 and matches what the
// original does.
func FuzzPortablePattern(f *testing.F) {
	for _, c := range patternCases {
		f.Add(c.re2, "abc")
	}
	f.Add(`^[A-Z][a-z]{2,}(\s+\w+)*$`, "Hello big world")
	f.Add(`(?i)^(foo|bar)+[^x-z]$`, "FoObArq")
	f.Fuzz(func(t *testing.T, re2, input string) {
		orig, err := regexp.Compile(re2)
		if err != nil {
			return
		}
		got, ok := portablePattern(re2)
		if !ok {
			return
		}
		trans, err := regexp.Compile(got)
		if err != nil {
			t.Fatalf("%q written as %q, which does not compile: %v", re2, got, err)
		}
		if orig.MatchString(input) != trans.MatchString(input) {
			t.Fatalf("%q written as %q: %q matches %v, was %v", re2, got, input, trans.MatchString(input), orig.MatchString(input))
		}
	})
}

func TestQuoteLiteral(t *testing.T) {
	for _, s := range []string{"ab.", "x+y", "(a)[b]{c}|d^$\\/*?", "tab\there", "ünï"} {
		q := quoteLiteral(s)
		re := regexp.MustCompile("^" + q + "$")
		if !re.MatchString(s) || re.MatchString(s+"x") {
			t.Errorf("%q quoted as %q", s, q)
		}
	}
}

// TestIntRangesPattern checks the patterns of 64-bit integer ranges
// against the numbers they stand for, near every bound and at the ends of
// the types.
func TestIntRangesPattern(t *testing.T) {
	n := func(s string) *big.Int {
		if s == "" {
			return nil
		}
		v, ok := new(big.Int).SetString(s, 10)
		if !ok {
			t.Fatal(s)
		}
		return v
	}
	bounds := []string{"", "-9223372036854775808", "-1000", "-101", "-100", "-99", "-10", "-9", "-1", "0", "1", "7", "9", "10",
		"11", "99", "100", "101", "109", "110", "199", "200", "999", "1000", "1234", "9223372036854775807", "18446744073709551615"}
	var probes []*big.Int
	for _, b := range bounds[1:] {
		v := n(b)
		probes = append(probes, v, new(big.Int).Add(v, big.NewInt(1)), new(big.Int).Sub(v, big.NewInt(1)))
	}
	for i := -1300; i <= 1300; i++ {
		probes = append(probes, big.NewInt(int64(i)))
	}
	in := func(v *big.Int, ivs [][2]*big.Int) bool {
		for _, iv := range ivs {
			if (iv[0] == nil || v.Cmp(iv[0]) >= 0) && (iv[1] == nil || v.Cmp(iv[1]) <= 0) {
				return true
			}
		}
		return false
	}
	check := func(ivs [][2]*big.Int, signed bool) {
		p := intRangesPattern(ivs, signed)
		if !signed {
			// unsigned: a missing or negative lower bound is 0
			for i := range ivs {
				if ivs[i][0] == nil || ivs[i][0].Sign() < 0 {
					ivs[i][0] = big.NewInt(0)
				}
			}
		}
		if p == "" {
			for _, v := range probes {
				if in(v, ivs) {
					t.Fatalf("%v: no pattern, but %v is in", ivs, v)
				}
			}
			return
		}
		re := regexp.MustCompile(p)
		for _, v := range probes {
			if got, want := re.MatchString(v.String()), in(v, ivs); got != want {
				t.Fatalf("%v (signed %v): %q matches %v: %v, want %v", ivs, signed, p, v, got, want)
			}
		}
		zero := in(big.NewInt(0), ivs)
		if got := re.MatchString("-0"); got != (zero && signed) {
			t.Errorf("%v (signed %v): %q matches -0: %v", ivs, signed, p, got)
		}
		for _, s := range []string{"01", "+1", "1.0", "", "-", "1e2"} {
			if re.MatchString(s) {
				t.Errorf("%v: %q matches %q", ivs, p, s)
			}
		}
	}
	for _, lo := range bounds {
		for _, hi := range bounds {
			if lo == "" && hi == "" {
				continue
			}
			check([][2]*big.Int{{n(lo), n(hi)}}, true)
			check([][2]*big.Int{{n(lo), n(hi)}}, false)
			if lo != "" && hi != "" {
				check([][2]*big.Int{{nil, n(hi)}, {n(lo), nil}}, true) // outside a range
			}
		}
	}
}

// TestFloat32Bounds: a float's bound holds for exactly the numbers
// protojson rounds to a float on the right side of it.
func TestFloat32Bounds(t *testing.T) {
	bounds := []float32{0.1, 2.5, 0, float32(math.Copysign(0, -1)), -0.1, 1, 1e-40, math.SmallestNonzeroFloat32,
		math.MaxFloat32, -math.MaxFloat32, 16777216, 16777217, 3.4028233e38}
	for _, b := range bounds {
		var probes []float64
		for _, f := range []float32{b, math.Nextafter32(b, float32(math.Inf(1))), math.Nextafter32(b, float32(math.Inf(-1)))} {
			for _, g := range []float32{f, math.Nextafter32(f, float32(math.Inf(1))), math.Nextafter32(f, float32(math.Inf(-1)))} {
				mid := (float64(f) + float64(g)) / 2
				probes = append(probes, float64(f), mid, math.Nextafter(mid, math.Inf(1)), math.Nextafter(mid, math.Inf(-1)))
			}
		}
		for _, x := range probes {
			if math.IsInf(x, 0) || math.Abs(x) > math.MaxFloat32 {
				continue // protojson refuses what overflows a float
			}
			r := float32(x) // round to nearest, ties to even: what protojson does
			if got, want := accepts(orTrue(f32AtLeast(b)), x), r >= b; got != want {
				t.Errorf(">= %v: %v (rounds to %v): %v, want %v (%v)", b, x, r, got, want, f32AtLeast(b))
			}
			if got, want := accepts(orTrue(f32AtMost(b)), x), r <= b; got != want {
				t.Errorf("<= %v: %v (rounds to %v): %v, want %v (%v)", b, x, r, got, want, f32AtMost(b))
			}
		}
	}
}

func orTrue(s map[string]any) map[string]any {
	if s == nil {
		return map[string]any{}
	}
	return s
}

func TestBase64Length(t *testing.T) {
	for _, r := range [][2]uint64{{0, 0}, {1, 1}, {2, 4}, {3, 3}, {4, 16}, {16, 16}, {5, math.MaxUint64}} {
		re := regexp.MustCompile(base64Length([][2]uint64{r})["pattern"].(string))
		for n := 0; n <= 20; n++ {
			want := uint64(n) >= r[0] && uint64(n) <= r[1]
			for _, enc := range base64Forms(n) {
				if re.MatchString(enc) != want {
					t.Errorf("%v bytes: %q (%d bytes) matches %v", r, enc, n, !want)
				}
			}
		}
	}
}

// base64Forms are the strings protojson reads as n bytes: standard or
// URL-safe, padded or not.
func base64Forms(n int) []string {
	chars := n * 4 / 3
	if n%3 != 0 {
		chars++
	}
	raw := ""
	for range chars {
		raw += "_"
	}
	pad := ""
	for (len(raw)+len(pad))%4 != 0 {
		pad += "="
	}
	return []string{raw, raw + pad, "A" + raw[min(1, len(raw)):] + pad}[:2+min(n, 1)]
}

func TestNumberJSON(t *testing.T) {
	// the bounds of a float are written so that they read back exactly
	for _, b := range []float32{0.1, 2.5, 1e-40} {
		m := f32AtLeast(b)
		for _, v := range m {
			s := strconv.FormatFloat(v.(float64), 'g', -1, 64)
			if back, _ := strconv.ParseFloat(s, 64); back != v.(float64) {
				t.Errorf("%v: %s", b, s)
			}
		}
	}
}

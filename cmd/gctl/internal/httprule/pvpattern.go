package httprule

import (
	"fmt"
	"math/big"
	"regexp/syntax"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// Regular expressions in the document.
//
// protovalidate matches string.pattern with Go's regexp (RE2); JSON Schema's
// pattern is an ECMA-262 regular expression (with the "u" flag, 2020-12
// §6.4), and validators use either. portablePattern writes an RE2 pattern
// again in the syntax both read the same way: character classes spelled
// out (so \d, \w, \s and their negations mean RE2's ASCII sets in either),
// '.' as [^\n] (ECMA's '.' also stops at \r, \u2028 and \u2029), groups as
// (?:...), no flags. What it cannot write that way (a multi-line ^ or $,
// which needs ECMA's "m" flag; a class too large to spell out) is left out
// of the document.

// maxPatternLen bounds a written pattern: \pL and the like spell out to
// hundreds of ranges, which no reader of the document wants.
const maxPatternLen = 512

// portablePattern is re2 in the syntax RE2 and ECMA-262 (u) share, false
// when it has none.
func portablePattern(re2 string) (string, bool) {
	re, err := syntax.Parse(re2, syntax.Perl)
	if err != nil {
		return "", false
	}
	var b strings.Builder
	if !writeRegexp(&b, re) || b.Len() > maxPatternLen {
		return "", false
	}
	return b.String(), true
}

func writeRegexp(b *strings.Builder, re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpEmptyMatch:
		b.WriteString("(?:)")
	case syntax.OpLiteral:
		for _, r := range re.Rune {
			if re.Flags&syntax.FoldCase != 0 {
				if orbit := foldOrbit(r); len(orbit) > 2 || orbit[0] != orbit[1] {
					writeClass(b, orbit)
					continue
				}
			}
			writeLiteral(b, r)
		}
	case syntax.OpCharClass:
		if len(re.Rune) == 0 {
			return false
		}
		writeClass(b, re.Rune)
	case syntax.OpAnyCharNotNL:
		b.WriteString(`[^\n]`)
	case syntax.OpAnyChar:
		b.WriteString(`[\s\S]`)
	case syntax.OpBeginText:
		b.WriteString("^")
	case syntax.OpEndText:
		b.WriteString("$")
	case syntax.OpWordBoundary:
		b.WriteString(`\b`)
	case syntax.OpNoWordBoundary:
		b.WriteString(`\B`)
	case syntax.OpCapture:
		b.WriteString("(?:")
		if !writeRegexp(b, re.Sub[0]) {
			return false
		}
		b.WriteString(")")
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest, syntax.OpRepeat:
		if !writeAtom(b, re.Sub[0]) {
			return false
		}
		switch re.Op {
		case syntax.OpStar:
			b.WriteString("*")
		case syntax.OpPlus:
			b.WriteString("+")
		case syntax.OpQuest:
			b.WriteString("?")
		default:
			switch {
			case re.Max == re.Min:
				fmt.Fprintf(b, "{%d}", re.Min)
			case re.Max < 0:
				fmt.Fprintf(b, "{%d,}", re.Min)
			default:
				fmt.Fprintf(b, "{%d,%d}", re.Min, re.Max)
			}
		}
	case syntax.OpConcat:
		for _, s := range re.Sub {
			if s.Op == syntax.OpAlternate {
				b.WriteString("(?:")
				if !writeRegexp(b, s) {
					return false
				}
				b.WriteString(")")
			} else if !writeRegexp(b, s) {
				return false
			}
		}
	case syntax.OpAlternate:
		for i, s := range re.Sub {
			if i > 0 {
				b.WriteString("|")
			}
			if !writeRegexp(b, s) {
				return false
			}
		}
	default: // OpNoMatch; OpBeginLine, OpEndLine (multi-line)
		return false
	}
	return true
}

// writeAtom writes re as the operand of a quantifier: grouped unless it is
// one character, one class or a group already.
func writeAtom(b *strings.Builder, re *syntax.Regexp) bool {
	switch {
	case re.Op == syntax.OpLiteral && len(re.Rune) == 1,
		re.Op == syntax.OpCharClass, re.Op == syntax.OpAnyChar, re.Op == syntax.OpAnyCharNotNL, re.Op == syntax.OpCapture:
		return writeRegexp(b, re)
	}
	b.WriteString("(?:")
	if !writeRegexp(b, re) {
		return false
	}
	b.WriteString(")")
	return true
}

// foldOrbit is r with the runes it matches case-insensitively, as sorted
// ranges (lo, hi pairs).
func foldOrbit(r rune) []rune {
	var runes []rune
	f := r
	for {
		runes = append(runes, f)
		if f = unicode.SimpleFold(f); f == r {
			break
		}
	}
	slices.Sort(runes)
	var out []rune
	for _, c := range runes {
		if n := len(out); n > 0 && out[n-1]+1 == c {
			out[n-1] = c
			continue
		}
		out = append(out, c, c)
	}
	return out
}

// syntaxChars are ECMA-262's SyntaxCharacters and '/': the only characters
// it lets a backslash escape outside a class with the u flag.
const syntaxChars = `^$\.*+?()[]{}|/`

func writeLiteral(b *strings.Builder, r rune) {
	switch {
	case r < 0x20 || r == 0x7f:
		fmt.Fprintf(b, `\x%02X`, r)
	case strings.ContainsRune(syntaxChars, r):
		b.WriteByte('\\')
		b.WriteRune(r)
	default:
		b.WriteRune(r)
	}
}

func writeClassChar(b *strings.Builder, r rune) {
	switch {
	case r < 0x20 || r == 0x7f:
		fmt.Fprintf(b, `\x%02X`, r)
	case strings.ContainsRune(`\]-^[`, r):
		b.WriteByte('\\')
		b.WriteRune(r)
	default:
		b.WriteRune(r)
	}
}

// writeClass writes the class of ranges (lo, hi pairs, sorted), negated
// when it reaches the last code point (so the complement is spelled out).
func writeClass(b *strings.Builder, ranges []rune) {
	if len(ranges) == 2 && ranges[0] == 0 && ranges[1] == unicode.MaxRune {
		b.WriteString(`[\s\S]`)
		return
	}
	b.WriteByte('[')
	if ranges[len(ranges)-1] == unicode.MaxRune {
		b.WriteByte('^')
		var neg []rune
		next := rune(0)
		for i := 0; i < len(ranges); i += 2 {
			if ranges[i] > next {
				neg = append(neg, next, ranges[i]-1)
			}
			next = ranges[i+1] + 1
		}
		ranges = neg
	}
	for i := 0; i < len(ranges); i += 2 {
		lo, hi := ranges[i], ranges[i+1]
		writeClassChar(b, lo)
		if hi > lo {
			if hi > lo+1 {
				b.WriteByte('-')
			}
			writeClassChar(b, hi)
		}
	}
	b.WriteByte(']')
}

// quoteLiteral is a pattern matching s itself (prefix, suffix, contains).
func quoteLiteral(s string) string {
	var b strings.Builder
	for _, r := range s {
		writeLiteral(&b, r)
	}
	return b.String()
}

// intRangesPattern is an anchored pattern of the canonical decimal strings
// of the integers in the ranges (a nil bound: none), "" for no integer.
// With signed, "-0" (which protojson reads as 0) is one of zero's strings.
func intRangesPattern(ranges [][2]*big.Int, signed bool) string {
	var alts []string
	zero := big.NewInt(0)
	one := big.NewInt(1)
	for _, r := range ranges {
		lo, hi := r[0], r[1]
		if !signed && (lo == nil || lo.Sign() < 0) {
			lo = zero
		}
		if lo != nil && hi != nil && lo.Cmp(hi) > 0 {
			continue
		}
		// negative values: "-" and a magnitude in [|hi| or 1, |lo| or ∞)
		if lo == nil || lo.Sign() < 0 {
			var mlo, mhi *big.Int
			mlo = one
			if hi != nil && hi.Sign() < 0 {
				mlo = new(big.Int).Neg(hi)
			}
			if lo != nil {
				mhi = new(big.Int).Neg(lo)
			}
			if neg := natRange(mlo, mhi); len(neg) == 1 {
				alts = append(alts, "-"+neg[0])
			} else {
				alts = append(alts, "-(?:"+strings.Join(neg, "|")+")")
			}
		}
		if (lo == nil || lo.Sign() <= 0) && (hi == nil || hi.Sign() >= 0) {
			if signed {
				alts = append(alts, "-?0")
			} else {
				alts = append(alts, "0")
			}
		}
		if hi == nil || hi.Sign() > 0 {
			plo := one
			if lo != nil && lo.Cmp(zero) > 0 {
				plo = lo
			}
			alts = append(alts, natRange(plo, hi)...)
		}
	}
	if len(alts) == 0 {
		return ""
	}
	return "^(?:" + strings.Join(alts, "|") + ")$"
}

// natRange is alternatives matching the decimal strings (no leading zero)
// of the integers in [lo, hi], 1 <= lo, hi nil for no bound.
func natRange(lo, hi *big.Int) []string {
	a := lo.String()
	if hi == nil {
		if strings.Trim(a[1:], "0") == "" && a[0] == '1' {
			return []string{"[1-9]" + digits(len(a)-1, true)} // from a power of ten up
		}
		// [lo, 10^len(a) - 1], then every longer number
		out := sameLength(a, strings.Repeat("9", len(a)))
		return append(out, "[1-9]"+digits(len(a), true))
	}
	b := hi.String()
	var out []string
	for n := len(a); n <= len(b); n++ {
		from, to := "1"+strings.Repeat("0", n-1), strings.Repeat("9", n)
		if n == len(a) {
			from = a
		}
		if n == len(b) {
			to = b
		}
		out = append(out, sameLength(from, to)...)
	}
	return out
}

// sameLength is alternatives matching the numbers from a to b, decimal
// strings of the same length, a <= b.
func sameLength(a, b string) []string {
	if a == b {
		return []string{a}
	}
	if a[0] == b[0] {
		var out []string
		for _, s := range sameLength(a[1:], b[1:]) {
			out = append(out, a[:1]+s)
		}
		return out
	}
	rest := len(a) - 1
	tail := digits(rest, false)
	var out []string
	first, last := a[0], b[0]
	if strings.Trim(a[1:], "0") != "" {
		for _, s := range sameLength(a[1:], strings.Repeat("9", rest)) {
			out = append(out, a[:1]+s)
		}
		first++
	}
	var high []string
	if strings.Trim(b[1:], "9") != "" {
		for _, s := range sameLength(strings.Repeat("0", rest), b[1:]) {
			high = append(high, b[:1]+s)
		}
		last--
	}
	switch {
	case first == last:
		out = append(out, string(first)+tail)
	case first < last:
		out = append(out, "["+string(first)+"-"+string(last)+"]"+tail)
	}
	return append(out, high...)
}

// digits matches n decimal digits, or n or more (orMore).
func digits(n int, orMore bool) string {
	switch {
	case orMore && n == 0:
		return "[0-9]*"
	case orMore && n == 1:
		return "[0-9]+"
	case orMore:
		return "[0-9]{" + strconv.Itoa(n) + ",}"
	case n == 0:
		return ""
	case n == 1:
		return "[0-9]"
	}
	return "[0-9]{" + strconv.Itoa(n) + "}"
}

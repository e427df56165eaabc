package deploy

import (
	"fmt"
	"strings"
)

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	cmd  string // upper case: FROM, RUN, ...
	args string
}

// stage is a FROM and what follows it.
type stage struct {
	from         string // the FROM line's arguments
	instructions []instruction
}

// parseDockerfile is a small line parser of the Dockerfile syntax gctl
// writes: comments, continuation lines, one instruction per logical line.
// (github.com/moby/buildkit's parser is not served here.)
func parseDockerfile(text string) ([]stage, error) {
	var stages []stage
	var logical strings.Builder
	for n, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimSpace(line)
		if logical.Len() == 0 && (trimmed == "" || strings.HasPrefix(trimmed, "#")) {
			continue
		}
		if strings.HasSuffix(trimmed, `\`) {
			logical.WriteString(strings.TrimSuffix(trimmed, `\`) + " ")
			continue
		}
		logical.WriteString(trimmed)
		l := logical.String()
		logical.Reset()
		cmd, args, _ := strings.Cut(l, " ")
		in := instruction{cmd: strings.ToUpper(cmd), args: strings.Join(strings.Fields(args), " ")}
		if in.cmd == "FROM" {
			stages = append(stages, stage{from: in.args})
			continue
		}
		if len(stages) == 0 {
			if in.cmd != "ARG" {
				return nil, fmt.Errorf("line %d: %s before the first FROM", n+1, in.cmd)
			}
			continue
		}
		stages[len(stages)-1].instructions = append(stages[len(stages)-1].instructions, in)
	}
	if logical.Len() > 0 {
		return nil, fmt.Errorf("the last instruction ends with a continuation")
	}
	return stages, nil
}

// all returns the arguments of every instruction cmd of s.
func (s stage) all(cmd string) []string {
	var out []string
	for _, in := range s.instructions {
		if in.cmd == cmd {
			out = append(out, in.args)
		}
	}
	return out
}

// shellWords splits a shell command line: blanks separate words, single
// and double quotes group them; nothing else is interpreted.
func shellWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	var quote rune
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '"' || r == '\'':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				words, inWord = append(words, cur.String()), false
				cur.Reset()
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unclosed %c in %s", quote, s)
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

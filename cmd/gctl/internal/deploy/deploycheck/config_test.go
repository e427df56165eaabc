package deploycheck

import (
	"fmt"
	"net"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"sigs.k8s.io/yaml"
)

// serviceConfig is what the checks need from a config.yaml, read here
// independently of package deploy (so a mistake there is not repeated
// here): ${VAR:-default} counts as its default, as in a pod without VAR.
type serviceConfig struct {
	httpPort, grpcPort, metricsPort int
	stopTimeout, stopDelay          time.Duration
	// needs are the variables referenced without a default: the service
	// does not start while one is unset.
	needs []string
}

var varRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(:?-[^}]*)?\}`)

func expandDefaults(s string) string {
	return varRef.ReplaceAllStringFunc(s, func(m string) string {
		sub := varRef.FindStringSubmatch(m)
		return strings.TrimPrefix(strings.TrimPrefix(sub[2], ":"), "-")
	})
}

func parseServiceConfig(text string) (serviceConfig, error) {
	var c serviceConfig
	var doc map[string]any
	if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
		return c, fmt.Errorf("config.yaml: %w", err)
	}
	str := func(path ...string) string {
		var v any = doc
		for _, k := range path {
			m, ok := v.(map[string]any)
			if !ok {
				return ""
			}
			v = m[k]
		}
		if v == nil {
			return ""
		}
		return expandDefaults(fmt.Sprint(v))
	}
	port := func(key string, path ...string) (int, error) {
		a := str(path...)
		if a == "" {
			return 0, nil
		}
		_, p, err := net.SplitHostPort(a)
		if err != nil {
			return 0, fmt.Errorf("%s %q: %w", key, a, err)
		}
		return strconv.Atoi(p)
	}
	var err error
	if c.httpPort, err = port("http.addr", "http", "addr"); err != nil {
		return c, err
	}
	if c.grpcPort, err = port("grpc.addr", "grpc", "addr"); err != nil {
		return c, err
	}
	if c.metricsPort, err = port("http.metrics.addr", "http", "metrics", "addr"); err != nil {
		return c, err
	}
	dur := func(key string, def time.Duration, path ...string) (time.Duration, error) {
		s := str(path...)
		if s == "" {
			return def, nil
		}
		d, err := time.ParseDuration(s)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", key, err)
		}
		return d, nil
	}
	// gox's defaults, as config.yaml's comments state them
	if c.stopTimeout, err = dur("app.stop_timeout", 30*time.Second, "app", "stop_timeout"); err != nil {
		return c, err
	}
	if c.stopDelay, err = dur("app.stop_delay", 0, "app", "stop_delay"); err != nil {
		return c, err
	}
	seen := map[string]bool{}
	for _, line := range strings.Split(text, "\n") {
		if i := strings.Index(line, "#"); i >= 0 && !strings.Contains(line[:i], "${") {
			line = line[:i] // a comment, unless it follows a value (a # inside ${...:-...} is rare enough)
		}
		for _, m := range varRef.FindAllStringSubmatch(line, -1) {
			if m[2] == "" && !seen[m[1]] {
				seen[m[1]] = true
				c.needs = append(c.needs, m[1])
			}
		}
	}
	sort.Strings(c.needs)
	return c, nil
}

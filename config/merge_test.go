package config_test

import (
	"strings"
	"testing"
	"time"

	"github.com/goxkit/gox/config"
)

type conn struct {
	Host    string            `yaml:"host"`
	Port    int               `yaml:"port"`
	Timeout time.Duration     `yaml:"timeout"`
	Tags    map[string]string `yaml:"tags"`
}

type mergeConfig struct {
	Primary conn            `yaml:"primary"`
	Replica conn            `yaml:"replica"`
	Extra   map[string]conn `yaml:"extra"`
	Labels  map[string]string
}

func TestMergeKeys(t *testing.T) {
	t.Setenv("GOX_TEST_DB_HOST", "10.0.0.7")
	t.Setenv("GOX_TEST_DB_PORT", "5433")
	p := write(t, `
primary: &primary
  host: ${GOX_TEST_DB_HOST}
  port: ${GOX_TEST_DB_PORT}
  timeout: 2s
  tags: &tags {zone: a, tier: db}
replica:
  port: 6000            # a local key wins over the merged one, before or after <<
  <<: *primary
  host: replica.local
extra:
  slow: &slow
    timeout: 30s
    port: 1
  both: &both
    <<: [*slow, *primary] # earlier maps in the list win: timeout 30s, port 1
  nested:
    <<: *both             # a merge of a map that merges: all of it
    tags:
      <<: *tags
      zone: b
labels:
  <<: *tags
  owner: me
`)
	c := mergeConfig{Replica: conn{Tags: map[string]string{"default": "kept"}}}
	if err := config.Load(&c, config.WithFile(p), config.WithNoEnv()); err != nil {
		t.Fatal(err)
	}
	if c.Primary.Host != "10.0.0.7" || c.Primary.Port != 5433 {
		t.Fatalf("primary %+v", c.Primary)
	}
	r := c.Replica
	if r.Host != "replica.local" || r.Port != 6000 || r.Timeout != 2*time.Second || r.Tags["zone"] != "a" {
		t.Fatalf("replica %+v: want host replica.local, port 6000 (local keys win), timeout 2s and tags from the merge", r)
	}
	both := c.Extra["both"]
	if both.Timeout != 30*time.Second || both.Port != 1 || both.Host != "10.0.0.7" || both.Tags["tier"] != "db" {
		t.Fatalf("extra.both %+v: want timeout 30s and port 1 (first map wins), host and tags from the second", both)
	}
	nested := c.Extra["nested"]
	if nested.Timeout != 30*time.Second || nested.Host != "10.0.0.7" || nested.Tags["zone"] != "b" || nested.Tags["tier"] != "db" {
		t.Fatalf("extra.nested %+v", nested)
	}
	if len(c.Labels) != 3 || c.Labels["owner"] != "me" || c.Labels["zone"] != "a" {
		t.Fatalf("labels %v: want zone, tier and owner, no \"<<\" entry", c.Labels)
	}
}

func TestMergeErrorsNameTheKey(t *testing.T) {
	tests := []struct{ name, yaml, want string }{
		{"unknown key from a merged map", "labels: &l\n  hots: x\nreplica:\n  <<: *l\n", `:2: key "replica.hots": unknown key`},
		{"wrong type from a merged map", "labels: &l\n  port: many\nreplica:\n  host: h\n  <<: *l\n", `:2: key "replica.port": want an integer`},
		{"merge of a scalar", "primary:\n  host: &h x\nreplica:\n  <<: *h\n", `:4: key "replica.<<": want a mapping or a list of mappings to merge`},
		{"merge of a list of scalars", "replica:\n  <<: [a, b]\n", `key "replica.<<": want a mapping or a list of mappings to merge`},
		{"map that merges itself", "primary: &p\n  <<: *p\n", `key "primary.<<": merges itself`},
		{"unset variable in a merged map", "labels: &l\n  host: ${GOX_NOT_SET_ANYWHERE}\nreplica:\n  <<: *l\n", `:2: key "labels.host": ${GOX_NOT_SET_ANYWHERE} is not set`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c mergeConfig
			err := config.Load(&c, config.WithFile(write(t, tt.yaml)), config.WithNoEnv())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestFileKeysFollowMerges(t *testing.T) {
	p := write(t, "primary: &p\n  host: a\n  port: 1\nreplica:\n  <<: *p\n  port: 2\n")
	got, err := config.FileKeys(p)
	want := "primary primary.host primary.port replica replica.host replica.port"
	if err != nil || strings.Join(got, " ") != want {
		t.Fatalf("FileKeys = %v, %v; want %s", got, err, want)
	}
}

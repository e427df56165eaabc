package consul_test

import (
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/consul/api"

	"github.com/goxkit/gox/config"
	"github.com/goxkit/gox/config/configtest"
	"github.com/goxkit/gox/contrib/config/consul"
	"github.com/goxkit/gox/goxtest"
)

const hint = "build tools/consul (ci/tools.sh build_tools), then: source ci/lib.sh; source ci/consul.sh; start_consul"

func kv(t *testing.T, addr string) *api.KV {
	ac := api.DefaultConfig()
	ac.Address = addr
	cli, err := api.NewClient(ac)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ac.Transport.CloseIdleConnections)
	return cli.KV()
}

// The contract suite against the real agent CI starts: layers, a change
// applied, a broken document refused naming the store and key, the agent
// unreachable at start, and an outage while running.
func TestContract(t *testing.T) {
	addr := goxtest.RequireEnv(t, "CONSUL_HTTP_ADDR", hint)
	store := kv(t, addr)
	configtest.Run(t, configtest.Options{
		Store: addr,
		New: func(t *testing.T, at, key string) config.Source {
			s, err := consul.Open(consul.Config{Address: at, Key: key, Timeout: time.Second, WaitTime: 2 * time.Second})
			return goxtest.Opened(t, s, err)
		},
		Put: func(t *testing.T, key, value string) {
			if _, err := store.Put(&api.KVPair{Key: key, Value: []byte(value)}, nil); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _, _ = store.Delete(key, nil) })
		},
		Delete: func(t *testing.T, key string) {
			if _, err := store.Delete(key, nil); err != nil {
				t.Fatal(err)
			}
		},
	})
}

func TestConfigErrors(t *testing.T) {
	if _, err := consul.Open(consul.Config{}); err == nil || !strings.Contains(err.Error(), "key is empty") {
		t.Fatalf("no key: %v", err)
	}
	if _, err := consul.New(nil, consul.Config{Key: "k"}); err == nil {
		t.Fatal("nil client accepted")
	}
	s, err := consul.Open(consul.Config{Key: "/config/shop"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := s.String(); got != `consul key "config/shop"` {
		t.Fatalf("String %s", got)
	}
}

package etcd_test

import (
	"context"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/goxkit/gox/config"
	"github.com/goxkit/gox/config/configtest"
	"github.com/goxkit/gox/contrib/config/etcd"
	"github.com/goxkit/gox/goxtest"
)

const hint = "source ci/lib.sh; source ci/etcd.sh; start_etcd"

// The contract suite against the real etcd CI starts: layers, a change
// applied, a broken document refused naming the store and key, etcd
// unreachable at start, and an outage while running.
func TestContract(t *testing.T) {
	ep := goxtest.RequireEnv(t, "ETCD_ENDPOINTS", hint)
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{ep}, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	ctx := context.Background()
	configtest.Run(t, configtest.Options{
		Store: ep,
		New: func(t *testing.T, at, key string) config.Source {
			s, err := etcd.Open(etcd.Config{Endpoints: []string{at}, Key: "/" + key, Timeout: time.Second})
			return goxtest.Opened(t, s, err)
		},
		Put: func(t *testing.T, key, value string) {
			if _, err := cli.Put(ctx, "/"+key, value); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _, _ = cli.Delete(ctx, "/"+key) })
		},
		Delete: func(t *testing.T, key string) {
			if _, err := cli.Delete(ctx, "/"+key); err != nil {
				t.Fatal(err)
			}
		},
	})
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		c    etcd.Config
		want string
	}{
		{etcd.Config{Endpoints: []string{"127.0.0.1:1"}}, "key is empty"},
		{etcd.Config{Key: "/k"}, "endpoints is empty"},
		{etcd.Config{Key: "/k", Endpoints: []string{" "}}, "empty entry"},
	} {
		if _, err := etcd.Open(tc.c); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v; want %q", tc.c, err, tc.want)
		}
	}
	if _, err := etcd.New(nil, etcd.Config{Key: "/k"}); err == nil {
		t.Fatal("nil client accepted")
	}
}

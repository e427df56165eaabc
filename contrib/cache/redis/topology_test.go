package redis_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/goxkit/gox/cache"
	"github.com/goxkit/gox/cache/cachetest"
	"github.com/goxkit/gox/contrib/cache/redis"
	"github.com/goxkit/gox/goxtest"
	"github.com/goxkit/gox/lock"
	"github.com/goxkit/gox/lock/locktest"
)

// startNode runs redis-server with extra arguments in its own temp dir.
func startNode(t *testing.T, args ...string) {
	t.Helper()
	bin := goxtest.RequireBinary(t, "redis-server", "apt-get install redis-server")
	dir := t.TempDir()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
}

// TestCluster runs both contracts on a three-master Redis Cluster: keys of
// one namespace land in different slots, so multi-key calls and Flush must
// go node by node.
func TestCluster(t *testing.T) {
	cli := goxtest.RequireBinary(t, "redis-cli", "apt-get install redis-tools")
	var addrs []string
	for range 3 {
		port := freePort(t)
		startNode(t, "--bind", "127.0.0.1", "--port", fmt.Sprint(port), "--cluster-enabled", "yes",
			"--cluster-config-file", "nodes.conf", "--save", "", "--appendonly", "no")
		addrs = append(addrs, fmt.Sprintf("127.0.0.1:%d", port))
	}
	time.Sleep(300 * time.Millisecond)
	out, err := exec.Command(cli, append(append([]string{"--cluster", "create"}, addrs...), "--cluster-replicas", "0", "--cluster-yes")...).CombinedOutput()
	if err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	c := redis.DefaultConfig()
	c.Addrs, c.Prefix = addrs, "cluster:"
	c.Lock.RetryMin, c.Lock.RetryMax = time.Millisecond, 20*time.Millisecond
	cl, err := redis.NewClient(c)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if _, ok := cl.(*goredis.ClusterClient); !ok {
		t.Fatalf("three addrs gave a %T, want a cluster client", cl)
	}
	deadline := time.Now().Add(15 * time.Second)
	for cl.Set(context.Background(), "probe", "1", time.Second).Err() != nil { // wait for the slots to be served
		if time.Now().After(deadline) {
			t.Fatal("the cluster did not come up")
		}
		time.Sleep(100 * time.Millisecond)
	}
	cachetest.Run(t, func(t *testing.T, ns string) cache.Store {
		s, err := redis.NewStore(cl, c.Prefix+ns+":")
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
	locktest.Run(t, func(t *testing.T) lock.Locker {
		l, _ := redis.NewLocker(cl, c.Prefix, c.Lock)
		return l
	})
}

// TestSentinel reaches a master through a sentinel (master_name set).
func TestSentinel(t *testing.T) {
	masterPort, sentinelPort := freePort(t), freePort(t)
	startNode(t, "--bind", "127.0.0.1", "--port", fmt.Sprint(masterPort), "--save", "", "--appendonly", "no")
	conf := filepath.Join(t.TempDir(), "sentinel.conf")
	body := fmt.Sprintf("bind 127.0.0.1\nport %d\nsentinel monitor gox 127.0.0.1 %d 1\n", sentinelPort, masterPort)
	if err := os.WriteFile(conf, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	startNode(t, conf, "--sentinel")
	c := redis.DefaultConfig()
	c.Addrs, c.MasterName, c.Prefix = []string{fmt.Sprintf("127.0.0.1:%d", sentinelPort)}, "gox", "sentinel:"
	cl, err := redis.NewClient(c)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	s, _ := redis.NewStore(cl, c.Prefix)
	ctx := context.Background()
	deadline := time.Now().Add(15 * time.Second)
	var serr error
	for serr = s.Save(ctx, "k", []byte("v"), time.Minute); serr != nil; serr = s.Save(ctx, "k", []byte("v"), time.Minute) {
		if time.Now().After(deadline) {
			t.Fatalf("no master through the sentinel: %v", serr)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if v, err := s.Fetch(ctx, "k"); err != nil || string(v) != "v" {
		t.Fatalf("Fetch through the sentinel: %q %v", v, err)
	}
	direct := goredis.NewClient(&goredis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", masterPort)})
	defer direct.Close()
	if v, _ := direct.Get(ctx, "sentinel:k").Result(); !strings.EqualFold(v, "v") {
		t.Fatalf("the value is not on the master the sentinel names: %q", v)
	}
}

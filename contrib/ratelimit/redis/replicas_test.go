package redis_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/goxkit/gox/contrib/ratelimit/redis"
	"github.com/goxkit/gox/goxtest"
	"github.com/goxkit/gox/middleware/governance"
)

// The limit the replicas share, and how long they hammer it.
var (
	sharedRate = governance.Rate{Limit: 500, Per: time.Second, Burst: 50}
	hammerFor  = 3 * time.Second
)

const (
	keyEnv = "GOX_TEST_RL_KEY" // the key the replicas share
	outEnv = "GOX_TEST_RL_OUT" // the directory each writes its tally to
)

// TestReplicasShareOneLimit runs four processes that each take calls from
// one key as fast as they can for a few seconds: together they are admitted
// the limit over that time and its burst, within 5%.
func TestReplicasShareOneLimit(t *testing.T) {
	_, prefix := testClient(t)
	out := t.TempDir()
	const n = 4
	goxtest.StartReplicas(t, n, keyEnv+"="+prefix+"shared", outEnv+"="+out)
	files, err := filepath.Glob(filepath.Join(out, "*"))
	if err != nil || len(files) != n {
		t.Fatalf("%d tallies of %d replicas (%v)", len(files), n, err)
	}
	var admitted, calls int64
	var first, last int64
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var a, c, s, e int64
		if _, err := fmt.Sscan(string(b), &a, &c, &s, &e); err != nil {
			t.Fatalf("tally %s: %q: %v", f, b, err)
		}
		admitted, calls = admitted+a, calls+c
		if first == 0 || s < first {
			first = s
		}
		last = max(last, e)
	}
	span := time.Duration(last - first) // from the first call sent to the last answered
	limit := float64(sharedRate.Burst) + float64(sharedRate.Limit)*span.Seconds()/sharedRate.Per.Seconds()
	t.Logf("%d replicas, %d calls in %v: %d admitted, limit %.0f (%.2f%%)", n, calls, span, admitted, limit,
		100*float64(admitted)/limit)
	if float64(admitted) > limit+1 || float64(admitted) < 0.95*limit {
		t.Fatalf("%d replicas admitted %d calls in %v; the limit is %.0f and they must get within 5%% of it",
			n, admitted, span, limit)
	}
}

// hammer is a replica of TestReplicasShareOneLimit: it takes calls from the
// shared key for hammerFor and writes "admitted calls first last" (Unix ns).
func hammer() error {
	addr, key, out := os.Getenv("REDIS_ADDR"), os.Getenv(keyEnv), os.Getenv(outEnv)
	if addr == "" || key == "" || out == "" {
		return fmt.Errorf("replica needs REDIS_ADDR, %s and %s", keyEnv, outEnv)
	}
	c := goredis.NewClient(&goredis.Options{Addr: addr, ContextTimeoutEnabled: true})
	defer c.Close()
	lim, err := redis.New(c, redis.WithPrefix("")).Limiter(sharedRate)
	if err != nil {
		return err
	}
	var admitted, calls int
	first := time.Now()
	last := first
	for end := first.Add(hammerFor); last.Before(end); last = time.Now() {
		_, ok, err := lim.Reserve(context.Background(), key, 0)
		if err != nil {
			return err
		}
		calls++
		if ok {
			admitted++
		}
	}
	tally := strings.Join([]string{strconv.Itoa(admitted), strconv.Itoa(calls),
		strconv.FormatInt(first.UnixNano(), 10), strconv.FormatInt(last.UnixNano(), 10)}, " ")
	return os.WriteFile(filepath.Join(out, strconv.Itoa(os.Getpid())), []byte(tally), 0o600)
}

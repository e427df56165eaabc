package scaffold_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/goxkit/gox/cmd/gctl/internal/scaffold"
)

// storeAddr returns the address of the real store CI starts (ETCD_ENDPOINTS,
// CONSUL_HTTP_ADDR): missing, the test fails in CI and is skipped elsewhere.
func storeAddr(t *testing.T, env string) string {
	t.Helper()
	v := os.Getenv(env)
	if v == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not set: CI must start the store (scripts/test.sh sources ci/etcd.sh and ci/consul.sh)", env)
		}
		t.Skipf("%s is not set: start the store as ci/etcd.sh or ci/consul.sh does", env)
	}
	return strings.Split(v, ",")[0]
}

// putKey stores doc under key, through the store's own HTTP API: Consul's
// KV endpoint, or etcd's v3 JSON gateway.
func putKey(t *testing.T, store, addr, key, doc string) {
	t.Helper()
	var req *http.Request
	var err error
	if store == "consul" {
		req, err = http.NewRequest(http.MethodPut, "http://"+addr+"/v1/kv/"+key, strings.NewReader(doc))
	} else {
		body, _ := json.Marshal(map[string]string{
			"key": base64.StdEncoding.EncodeToString([]byte(key)), "value": base64.StdEncoding.EncodeToString([]byte(doc))})
		req, err = http.NewRequest(http.MethodPost, "http://"+addr+"/v3/kv/put", bytes.NewReader(body))
	}
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("put %s key %s: %v", store, key, err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("put %s key %s: %s", store, key, res.Status)
	}
}

// TestRemoteConfigOnRealStores runs a service scaffolded with
// --remote-config against the real Consul and etcd: the store's document
// sets what config.yaml leaves out (log.level warn: no info lines); while
// it serves, a change to log.level is applied, a change to app.request_timeout is logged as needing a
// restart, and a document that is not YAML is rejected naming the store's
// key, the service still answering.
func TestRemoteConfigOnRealStores(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two projects")
	}
	source := scaffold.FindSource("")
	if source == "" {
		t.Fatal("the test runs inside the gox checkout but FindSource found none")
	}
	for _, store := range []string{"etcd", "consul"} {
		t.Run(store, func(t *testing.T) {
			addr := storeAddr(t, map[string]string{"etcd": "ETCD_ENDPOINTS", "consul": "CONSUL_HTTP_ADDR"}[store])
			dir := filepath.Join(t.TempDir(), "remote")
			o := scaffold.Options{Kind: "api", Name: "remote", DB: "none", Queue: "none", Cache: "none", Metric: "none", RemoteConfig: store}
			if err := o.Validate(); err != nil {
				t.Fatal(err)
			}
			if _, err := scaffold.Render(o, dir, source, false); err != nil {
				t.Fatal(err)
			}
			env := append(os.Environ(), "GOWORK=off", "GOFLAGS=")
			for _, args := range [][]string{{"mod", "tidy"}, {"build", "-o", "svc", "."}} {
				cmd := exec.Command("go", args...)
				cmd.Dir, cmd.Env = dir, env
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
				}
			}
			// The user leaves app.request_timeout to the store, as config.yaml
			// already does log.level; the service listens on a free port.
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			svcAddr := l.Addr().String()
			l.Close()
			cfgFile := filepath.Join(dir, "config.yaml")
			b, _ := os.ReadFile(cfgFile)
			cfg := strings.Replace(string(b), `addr: ":8080"`, `addr: "`+svcAddr+`"`, 1)
			cfg = strings.Replace(cfg, "  request_timeout: 10s", "  # request_timeout: left to the store", 1)
			if err := os.WriteFile(cfgFile, []byte(cfg), 0o644); err != nil {
				t.Fatal(err)
			}
			key := fmt.Sprintf("gox-test/remote-%d", time.Now().UnixNano())
			if store == "etcd" {
				key = "/" + key
			}
			putKey(t, store, addr, key, "log:\n  level: warn\napp:\n  request_timeout: 3s\n")

			logPath := filepath.Join(t.TempDir(), "serve.log")
			logFile, err := os.Create(logPath)
			if err != nil {
				t.Fatal(err)
			}
			defer logFile.Close()
			svc := exec.Command("./svc", "serve")
			svc.Dir, svc.Stdout, svc.Stderr = dir, logFile, logFile
			svc.Env = append(os.Environ(), "REMOTE_CONFIG_KEY="+key, "CONSUL_HTTP_ADDR="+addr, "ETCD_ENDPOINTS="+addr)
			if err := svc.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() { _ = svc.Process.Kill() }()
			logs := func() string { b, _ := os.ReadFile(logPath); return string(b) }
			waitFor := func(what string, ok func() bool) {
				t.Helper()
				for deadline := time.Now().Add(30 * time.Second); !ok(); time.Sleep(50 * time.Millisecond) {
					if time.Now().After(deadline) {
						t.Fatalf("%s: not within 30 s; serve's log:\n%s", what, logs())
					}
				}
			}
			ready := func() bool {
				res, err := http.Get("http://" + svcAddr + "/readyz")
				if err != nil {
					return false
				}
				res.Body.Close()
				return res.StatusCode == http.StatusOK
			}
			waitFor("ready", ready)
			// no info lines: the store's log.level warn is in effect
			if strings.Contains(logs(), "listening") {
				t.Fatalf("log.level warn from the store not in effect; serve's log:\n%s", logs())
			}

			putKey(t, store, addr, key, "log:\n  level: info\napp:\n  request_timeout: 4s\n")
			waitFor("the change applied and the restart key reported", func() bool {
				s := logs()
				return strings.Contains(s, "take effect after a restart") && strings.Contains(s, "app.request_timeout") &&
					strings.Contains(s, "config reloaded") && strings.Contains(s, "log.level")
			})

			putKey(t, store, addr, key, "log: [level\n")
			waitFor("the invalid document rejected naming the key", func() bool {
				s := logs()
				return strings.Contains(s, "config change rejected") && strings.Contains(s, key)
			})
			if !ready() {
				t.Fatalf("the service stopped answering after an invalid document; log:\n%s", logs())
			}
			_ = svc.Process.Signal(syscall.SIGTERM)
			if err := svc.Wait(); err != nil {
				t.Fatalf("serve after SIGTERM: %v\n%s", err, logs())
			}
		})
	}
}

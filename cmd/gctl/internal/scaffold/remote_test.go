package scaffold_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/goxkit/gox/cmd/gctl/internal/scaffold"
)

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
	for _, store := range []string{"etcd", "consul"} {
		t.Run(store, func(t *testing.T) {
			addr := storeAddr(t, map[string]string{"etcd": "ETCD_ENDPOINTS", "consul": "CONSUL_HTTP_ADDR"}[store])
			// The user leaves app.request_timeout to the store, as config.yaml
			// already does log.level.
			o := scaffold.Options{Kind: "api", Name: "remote", DB: "none", Queue: "none", Cache: "none", Metric: "none", RemoteConfig: store}
			dir, svcAddr := builtService(t, o, func(cfg string) string {
				return strings.Replace(cfg, "  request_timeout: 10s", "  # request_timeout: left to the store", 1)
			})
			key := fmt.Sprintf("gox-test/remote-%d", time.Now().UnixNano())
			if store == "etcd" {
				key = "/" + key
			}
			putKey(t, store, addr, key, "log:\n  level: warn\napp:\n  request_timeout: 3s\n")

			svc := startService(t, dir, svcAddr, "REMOTE_CONFIG_KEY="+key, "CONSUL_HTTP_ADDR="+addr, "ETCD_ENDPOINTS="+addr)
			// no info lines: the store's log.level warn is in effect
			if strings.Contains(svc.logs(), "listening") {
				t.Fatalf("log.level warn from the store not in effect; serve's log:\n%s", svc.logs())
			}

			putKey(t, store, addr, key, "log:\n  level: info\napp:\n  request_timeout: 4s\n")
			svc.waitFor("the change applied and the restart key reported", func() bool {
				s := svc.logs()
				return strings.Contains(s, "take effect after a restart") && strings.Contains(s, "app.request_timeout") &&
					strings.Contains(s, "config reloaded") && strings.Contains(s, "log.level")
			})

			putKey(t, store, addr, key, "log: [level\n")
			svc.waitFor("the invalid document rejected naming the key", func() bool {
				s := svc.logs()
				return strings.Contains(s, "config change rejected") && strings.Contains(s, key)
			})
			if !svc.ready() {
				t.Fatalf("the service stopped answering after an invalid document; log:\n%s", svc.logs())
			}
			svc.stop()
		})
	}
}

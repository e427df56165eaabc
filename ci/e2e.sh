#!/usr/bin/env bash
# End to end: scaffold an api and an rpc service with gctl into a temp dir,
# build them, run their own tests, start them, call them with curl and grpcurl,
# and stop them with SIGTERM while a slow request is in flight: the request
# must complete and the process must exit 0.
cd "$(dirname "$0")/.."
source ci/lib.sh
export PATH=$PWD/tools/bin:$PATH
export GOWORK=off # the projects live outside this workspace
W=$SVC_TMP/e2e
mkdir -p "$W"

fail() { echo "E2E FAIL: $*" >&2; exit 1; }
expect_eq() { [[ "$1" == "$2" ]] || fail "$3: got '$1', want '$2'"; }
expect_has() { [[ "$1" == *"$2"* ]] || fail "$3: '$2' not in: $1"; }

step "build gctl"
( cd cmd/gctl && go build -o "$W/gctl" . )

step "gctl refuses bad input"
out=$("$W/gctl" new api --name '9 lives' --dir "$W/bad" 2>&1) && fail "invalid name accepted"
expect_has "$out" 'is not a valid Go module path' "invalid name"
mkdir -p "$W/full" && touch "$W/full/keep.txt"
out=$("$W/gctl" new api --name full --dir "$W/full" 2>&1) && fail "non-empty dir accepted"
expect_has "$out" 'is not empty' "non-empty dir"
out=$("$W/gctl" new api --name shop --db oracle --dir "$W/refused" 2>&1) && fail "--db oracle accepted"
expect_has "$out" 'supported today: sqlite, mysql, postgres, clickhouse, none' "unsupported component"

step "scaffold"
"$W/gctl" new api --name shop --dir "$W/shop" >/dev/null
"$W/gctl" new rpc --name example.com/user --trace otlp --dir "$W/user" >/dev/null

step "add an RPC with an HTTP binding to the rpc service: gctl gen proto with nothing on PATH"
python3 - "$W/user/api/greeter/v1/greeter.proto" <<'PY'
import sys
p = sys.argv[1]
s = open(p).read()
s = s.replace("service Greeter {", """service Greeter {
  // Shout greets loudly.
  // errors: 400 NAME_REQUIRED
  rpc Shout(ShoutRequest) returns (ShoutResponse) {
    option (google.api.http) = {post: "/v1/shout" body: "*"};
  }
""", 1)
s += """
message ShoutRequest {
  string name = 1;
  int32 times = 2;
}

message ShoutResponse {
  string message = 1;
}
"""
open(p, "w").write(s)
PY
cat >"$W/user/internal/handler/shout.go" <<'GO'
package handler

import (
	"context"
	"strings"

	greeterv1 "example.com/user/api/greeter/v1"
	"example.com/user/internal/errs"
)

// Shout greets req.Name in capitals, req.Times times.
func (g *Greeter) Shout(_ context.Context, req *greeterv1.ShoutRequest) (*greeterv1.ShoutResponse, error) {
	if req.GetName() == "" {
		return nil, errs.ErrNameRequired
	}
	return &greeterv1.ShoutResponse{Message: strings.TrimSpace(strings.Repeat("HELLO, "+strings.ToUpper(req.GetName())+"! ", int(req.GetTimes())))}, nil
}
GO
out=$(cd "$W/user" && "$W/gctl" gen proto --check 2>&1) && fail "gen proto --check passed with an RPC added to the .proto"
expect_has "$out" "greeter.pb.go" "gen proto --check names the stale file"
out=$(cd "$W/user" && PATH=/nonexistent "$W/gctl" gen proto 2>&1) || fail "gctl gen proto: $out"
expect_has "$out" "api/openapi.json" "gen proto rewrote the OpenAPI document"
( cd "$W/user" && PATH=/nonexistent "$W/gctl" gen proto --check >/dev/null ) || fail "gen proto --check after regenerating"

step "build and test the generated projects"
for p in shop user; do
  ( cd "$W/$p" && go vet ./... && go test -race -count=1 ./... && go build -o "$p" . )
done

# ports: configure through the file, which wins over the environment
sed -i 's/addr: ":8080"/addr: "127.0.0.1:18180"/' "$W/shop/config.yaml"
sed -i 's/addr: ":8080"/addr: "127.0.0.1:18280"/; s/addr: ":9090"/addr: "127.0.0.1:18290"/' "$W/user/config.yaml"

step "db migrate: the tables of the example's repository (user's serve migrates at start instead)"
out=$(cd "$W/shop" && ./shop db migrate 2>&1) || fail "shop db migrate: $out"
expect_has "$out" 'migrated model *model.Greeting' "shop db migrate"

step "run the api service"
( cd "$W/shop" && exec ./shop ) >"$W/shop.log" 2>&1 &
SHOP=$!
CLEANUP+=("stop_pid $SHOP 5")
wait_until 30 curl -sf http://127.0.0.1:18180/ping
expect_eq "$(curl -s http://127.0.0.1:18180/ping)" "pong" "/ping"
expect_has "$(curl -s http://127.0.0.1:18180/healthz)" '"status":"ok"' "/healthz"
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:18180/readyz)" "200" "/readyz"
expect_has "$(curl -s http://127.0.0.1:18180/readyz)" 'db.default' "/readyz lists the database check"
# handler → service → repository → SQLite: the second greeting is counted on top of the first
expect_has "$(curl -s http://127.0.0.1:18180/v1/hello/ann)" '"message":"hello, ann","count":1' "hello"
expect_has "$(curl -s http://127.0.0.1:18180/v1/hello/ann)" '"count":2' "hello again, counted in the database"
expect_has "$(curl -s -X POST -d '{"text":' http://127.0.0.1:18180/v1/echo)" '"reason":"MALFORMED_JSON"' "malformed JSON"
expect_has "$(curl -s http://127.0.0.1:18180/nope)" '"code":404' "unknown route"
expect_has "$(curl -s http://127.0.0.1:18180/metrics)" 'gox_server_requests_total{code="200",kind="http",operation="GET /ping"}' "/metrics"
expect_has "$(curl -s http://127.0.0.1:18180/metrics)" 'gox_queue_backlog_overflow 0' "the database queue's backlog gauges (KEDA's trigger) are exported"

step "hot reload of log.level, and a broken edit rejected"
sed -i 's/^  level: info /  level: debug/' "$W/shop/config.yaml"
wait_until 10 grep -q '"log_level": "debug"' "$W/shop.log" || fail "no reload after editing log.level: $(tail -5 "$W/shop.log")"
sed -i 's/^  level: debug/  level: loud /' "$W/shop/config.yaml"
wait_until 10 grep -q 'config change rejected' "$W/shop.log" || fail "a broken config was not rejected"
expect_has "$(cat "$W/shop.log")" 'level \"loud\" is not one of' "rejection names the bad value"
expect_eq "$(curl -s http://127.0.0.1:18180/ping)" "pong" "/ping after a rejected reload"

step "SIGTERM with a slow request in flight"
# a 200 KB body uploaded at 50 KB/s keeps the request in flight for ~4 s
python3 -c 'import json; print(json.dumps({"text": "x" * 200000, "count": 1}))' >"$W/big.json"
curl -s -o "$W/slow.out" -w '%{http_code}' --limit-rate 50k -X POST -H 'Content-Type: application/json' \
  --data-binary @"$W/big.json" http://127.0.0.1:18180/v1/echo >"$W/slow.code" &
CURL=$!
sleep 1
kill -0 "$CURL" 2>/dev/null || fail "the slow request finished before SIGTERM; nothing was tested"
kill -TERM "$SHOP"
wait "$CURL" || true
set +e; wait "$SHOP"; rc=$?; set -e
expect_eq "$(cat "$W/slow.code")" "200" "slow request status after SIGTERM"
expect_eq "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["text"]))' "$W/slow.out")" "200000" "slow request echoed text length"
expect_eq "$rc" "0" "api exit code after SIGTERM"
expect_has "$(cat "$W/shop.log")" '"reason": "signal terminated"' "shutdown log"

step "run the rpc service"
( cd "$W/user" && exec ./user ) >"$W/user.log" 2>&1 &
USER_PID=$!
CLEANUP+=("stop_pid $USER_PID 5")
wait_until 30 curl -sf http://127.0.0.1:18280/ping
expect_has "$(cat "$W/user.log")" 'model *model.Greeting' "serve migrating at start (migrations.on_start)"
G=127.0.0.1:18290
expect_has "$(grpcurl -plaintext $G grpc.health.v1.Health/Check)" '"status": "SERVING"' "grpc health"
expect_has "$(grpcurl -plaintext $G list)" "greeter.v1.Greeter" "reflection list"
expect_has "$(grpcurl -plaintext -d '{"name":"ann"}' $G greeter.v1.Greeter/SayHello)" '"message": "hello, ann"' "SayHello"
expect_has "$(grpcurl -plaintext -d '{"name":"ann"}' $G greeter.v1.Greeter/SayHello)" 'greeted 2 times' "SayHello again, counted in the database"
out=$(grpcurl -plaintext -d '{"name":"nobody"}' $G greeter.v1.Greeter/SayHello 2>&1) && fail "SayHello(nobody) succeeded"
expect_has "$out" "NotFound" "SayHello(nobody) status"
expect_has "$out" "NOBODY" "SayHello(nobody) reason detail"
expect_has "$(curl -s http://127.0.0.1:18280/metrics)" 'operation="/greeter.v1.Greeter/SayHello"' "grpc metrics"
# the RPC added above: over gRPC and over HTTP through its binding, the same answer
viagrpc=$(grpcurl -plaintext -d '{"name":"ann","times":2}' $G greeter.v1.Greeter/Shout) || fail "Shout over gRPC"
viahttp=$(curl -s -X POST -d '{"name":"ann","times":2}' http://127.0.0.1:18280/v1/shout)
same=$(python3 -c 'import json,sys; a,b=json.loads(sys.argv[1]),json.loads(sys.argv[2]); print(a==b and a["message"]=="HELLO, ANN! HELLO, ANN!")' "$viagrpc" "$viahttp")
expect_eq "$same" "True" "Shout: gRPC $viagrpc, HTTP $viahttp"
expect_has "$(curl -s -X POST -d '{"times":2}' http://127.0.0.1:18280/v1/shout)" '"reason":"NAME_REQUIRED"' "Shout over HTTP without a name"
expect_has "$(curl -s http://127.0.0.1:18280/openapi.json)" '"/v1/shout"' "the served OpenAPI document has the new binding"
expect_has "$(curl -s http://127.0.0.1:18280/docs/)" 'swagger-ui-bundle.js' "docs page"
kill -TERM "$USER_PID"
set +e; wait "$USER_PID"; rc=$?; set -e
expect_eq "$rc" "0" "rpc exit code after SIGTERM"
step "two instances find each other by name (gossip), registry page, mono mode"
"$W/gctl" new api --name mesh --registry gossip --db none --queue none --dir "$W/mesh" >/dev/null
( cd "$W/mesh" && go vet ./... && go test -race -count=1 ./... && go build -o mesh . )
M=$W/mesh
sed -i 's/addr: ":8080"/addr: "127.0.0.1:18380"/; s/port: 7946 /port: 17946 /; s/bind_addr: 0.0.0.0/bind_addr: 127.0.0.1/' "$M/config.yaml"
sed -i '/^  ui:/,/^services:/ s/enabled: false/enabled: true/' "$M/config.yaml"   # the registry page
sed -e 's/127.0.0.1:18380/127.0.0.1:18381/; s/port: 17946 /port: 17947 /; s/seeds: \[\]/seeds: ["127.0.0.1:17946"]/' "$M/config.yaml" >"$M/b.yaml"
( cd "$M" && MANAGEMENT_PASSWORD=pw exec ./mesh ) >"$W/mesh-a.log" 2>&1 &
MA=$!; CLEANUP+=("stop_pid $MA 5")
( cd "$M" && MANAGEMENT_PASSWORD=pw exec ./mesh --config b.yaml ) >"$W/mesh-b.log" 2>&1 &
MB=$!; CLEANUP+=("stop_pid $MB 5")
wait_until 30 curl -sf http://127.0.0.1:18380/ping
wait_until 30 curl -sf http://127.0.0.1:18381/ping
two() { [[ $(curl -s -u admin:pw http://127.0.0.1:18380/registry/services.json | grep -c '"health": "up"') == 2 ]]; }
wait_until 20 two || fail "the registry page does not show two healthy instances: $(curl -s -u admin:pw http://127.0.0.1:18380/registry/services.json)"
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:18380/registry/)" "401" "registry page without the password"
expect_has "$(curl -s http://127.0.0.1:18380/metrics)" 'gox_registry_healthy 1' "registered, says the metric"
expect_has "$(curl -s -u admin:pw http://127.0.0.1:18381/registry/)" 'data-service="mesh"' "registry page HTML"
# the default balancer (p2c) sends calls where they are fastest and tries
# the other instance once it has not had one for 3 s: two bursts cover both
callids() { for i in 1 2 3 4 5 6 7 8; do curl -s http://127.0.0.1:18380/v1/call/mesh | python3 -c 'import json,sys; print(json.load(sys.stdin)["answer"]["id"])'; done; }
ids=$( (callids; sleep 3.5; callids) | sort -u | wc -l)
expect_eq "$ids" "2" "calls by name reach both instances"
expect_has "$(curl -s http://127.0.0.1:18380/v1/call/billing)" '"reason":"UNKNOWN_SERVICE"' "a service not declared in config"
# a flood of made-up names builds nothing: goroutines and memory stay flat
gor() { curl -s http://127.0.0.1:18380/metrics | awk '/^go_goroutines / {print $2}'; }
rss() { curl -s http://127.0.0.1:18380/metrics | awk '/^process_resident_memory_bytes / {printf "%d", $2}'; }
g0=$(gor); r0=$(rss)
python3 - <<'PY' || fail "flood of service names"
import http.client, uuid
c = http.client.HTTPConnection("127.0.0.1", 18380)
for i in range(5000):
    c.request("GET", "/v1/call/svc-" + uuid.uuid4().hex)
    r = c.getresponse(); r.read()
    assert r.status == 404, r.status
PY
g1=$(gor); r1=$(rss)
(( g1 <= g0 + 10 )) || fail "5,000 made-up service names: goroutines $g0 -> $g1"
(( r1 <= r0 + 20000000 )) || fail "5,000 made-up service names: RSS $r0 -> $r1"
kill -TERM "$MB"; set +e; wait "$MB"; rc=$?; set -e
expect_eq "$rc" "0" "mesh b exit code after SIGTERM"
one() { [[ $(curl -s -u admin:pw http://127.0.0.1:18380/registry/services.json | grep -c '"id"') == 1 ]]; }
wait_until 10 one || fail "the stopped instance is still listed"
kill -TERM "$MA"; set +e; wait "$MA"; rc=$?; set -e
expect_eq "$rc" "0" "mesh a exit code after SIGTERM"
# mono mode, by config alone: nothing registered, the service is called at its URL
sed -i 's#url: http://127.0.0.1:8080#url: http://127.0.0.1:18380#' "$M/config.yaml"
( cd "$M" && REGISTRY_MODE=mono MANAGEMENT_PASSWORD=pw exec ./mesh ) >"$W/mesh-mono.log" 2>&1 &
MA=$!; CLEANUP+=("stop_pid $MA 5")
wait_until 30 curl -sf http://127.0.0.1:18380/ping
expect_has "$(cat "$W/mesh-mono.log")" 'mono mode' "mono mode log"
expect_has "$(curl -s http://127.0.0.1:18380/v1/call/mesh)" '"called":"mesh"' "call by URL in mono mode"
expect_has "$(curl -s http://127.0.0.1:18380/v1/call/billing)" '"reason":"UNKNOWN_SERVICE"' "undeclared service in mono mode"
kill -TERM "$MA"; set +e; wait "$MA"; rc=$?; set -e
expect_eq "$rc" "0" "mono exit code after SIGTERM"
echo "e2e: all checks passed"

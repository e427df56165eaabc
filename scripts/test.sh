#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run calls this script):
#   install the servers and tools the tests need, check formatting, that every
#   module (tools/* too) is tidy, go vet and staticcheck in every module, go test
#   -race in every module against real servers, run every Go fuzz target for a
#   few seconds (ci/fuzz.sh, ~4 min), then scaffold, run and stop services end
#   to end (ci/e2e.sh).
# Servers started here are stopped on exit.
cd "$(dirname "$0")/.."
source ci/lib.sh
source ci/tools.sh
source ci/jaeger.sh
source ci/mailpit.sh
for c in redis postgres mariadb clickhouse nats rabbitmq etcd consul seaweedfs; do source ci/$c.sh; done
export PATH=$PWD/tools/bin:$PATH

MODULES=(. contrib/otel contrib/prometheus contrib/cache/redis contrib/ratelimit/redis contrib/database/xgorm contrib/broker/dbbroker contrib/broker/kafka contrib/broker/nats contrib/broker/rabbitmq contrib/event/cloudevents contrib/registry/gossip contrib/registry/etcd contrib/registry/consul contrib/registry/dns contrib/config/consul contrib/config/etcd contrib/validate/protovalidate contrib/report/sentry contrib/report/email contrib/authz/casbin contrib/profiling/pyroscope cmd/gctl bench examples/hello examples/users openapi/conformance transport/http/httprule/conformance cmd/gctl/internal/deploy/deploycheck contrib/storage/s3)

step "install packages"
install_apt
step "build tools"
build_tools
install_jaeger
install_mailpit

step "gofmt"
unformatted=$(gofmt -l $(find . -name '*.go' -not -path './tools/*' -not -path '*/testdata/*'))
if [[ -n "$unformatted" ]]; then echo "gofmt would change:"; echo "$unformatted"; exit 1; fi

step "go mod tidy -diff"
untidy=()
for m in "${MODULES[@]}" $(dirname tools/*/go.mod); do
  if ! out=$(cd "$m" && go mod tidy -diff 2>&1); then untidy+=("$m"); echo "$out" | grep -v '^go: downloading' || true; fi
done
if ((${#untidy[@]})); then echo "go.mod/go.sum not tidy (run go mod tidy there):"; printf '  %s\n' "${untidy[@]}"; exit 1; fi

for m in "${MODULES[@]}"; do
  step "vet + staticcheck: $m"
  ( cd "$m" && go vet ./... && staticcheck ./... )
done

step "start servers"
start_jaeger
start_redis
start_postgres
start_mariadb
start_clickhouse
start_nats
start_rabbitmq
start_etcd
start_consul
start_seaweedfs
start_mailpit

for m in "${MODULES[@]}"; do
  step "go test -race: $m"
  ( cd "$m" && go test -race -count=1 ./... )
done

step "SQLite without cgo"
( cd contrib/database/xgorm && CGO_ENABLED=0 go test -count=1 -run 'SQLite|Example|OpenLinksOnly' . ./sqlite )

step "fuzz every Fuzz target briefly"
bash ci/fuzz.sh "${MODULES[@]}"

step "end to end"
bash ci/e2e.sh
step "all passed"

# Installs what the test suite needs on a fresh machine. Sourced after lib.sh.
# binary the tests run : Debian package that has it
APT_NEEDS=(curl:curl prometheus:prometheus wrk:wrk redis-server:redis-server
  pg_ctlcluster:postgresql mariadbd:mariadb-server clickhouse-server:clickhouse-server
  clickhouse-client:clickhouse-client nats-server:nats-server
  /usr/lib/rabbitmq/bin/rabbitmq-server:rabbitmq-server etcd:etcd-server chromium:chromium)

install_apt() {
  local missing=() pair
  for pair in "${APT_NEEDS[@]}"; do
    command -v "${pair%%:*}" >/dev/null || missing+=("${pair#*:}")
  done
  ((${#missing[@]} == 0)) && return 0
  if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
    echo "missing ${missing[*]} and cannot apt-get install them (need root on Debian)" >&2
    return 1
  fi
  # never let package scripts start services on default ports
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends ca-certificates "${missing[@]}" >/dev/null
}

# build_tools: staticcheck and grpcurl (tools/dev), Consul (tools/consul), Jaeger (tools/jaeger), from
# pinned go.mod/go.sum files with -mod=readonly.
build_tools() {
  mkdir -p tools/bin
  if [[ ! -x tools/bin/staticcheck || ! -x tools/bin/grpcurl ]]; then
    ( cd tools/dev && GOWORK=off GOFLAGS=-mod=readonly go build -o ../bin/ \
        honnef.co/go/tools/cmd/staticcheck github.com/fullstorydev/grpcurl/cmd/grpcurl )
  fi
  if [[ ! -x tools/bin/consul ]]; then
    ( cd tools/consul && GOWORK=off GOFLAGS=-mod=readonly go build -trimpath -ldflags=-s -o ../bin/consul \
        github.com/hashicorp/consul )
  fi
  if [[ ! -x tools/bin/jaeger ]]; then
    ( cd tools/jaeger && GOWORK=off GOFLAGS=-mod=readonly go build -trimpath -ldflags=-s -o ../bin/jaeger \
        github.com/jaegertracing/jaeger/cmd/jaeger )
  fi
}

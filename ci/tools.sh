# Installs what the test suite needs on a fresh machine. Sourced after lib.sh.
# binary the tests run : Debian package that has it
APT_NEEDS=(curl:curl prometheus:prometheus wrk:wrk redis-server:redis-server
  pg_ctlcluster:postgresql mariadbd:mariadb-server clickhouse-server:clickhouse-server
  clickhouse-client:clickhouse-client nats-server:nats-server
  /usr/lib/rabbitmq/bin/rabbitmq-server:rabbitmq-server etcd:etcd-server chromium:chromium
  protoc:protobuf-compiler)

install_apt() {
  local missing=() pair
  for pair in "${APT_NEEDS[@]}"; do
    command -v "${pair%%:*}" >/dev/null || missing+=("${pair#*:}")
  done
  # the well-known types protoc compiles (gctl's protogen golden test)
  [[ -e /usr/include/google/protobuf/empty.proto ]] || missing+=(libprotobuf-dev)
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

# build_tools: staticcheck and grpcurl (tools/dev), Consul (tools/consul), Jaeger (tools/jaeger), SeaweedFS
# (tools/seaweedfs), from
# pinned go.mod/go.sum files with -mod=readonly; protoc-gen-go and protoc-gen-go-grpc by go install @version.
build_tools() {
  mkdir -p tools/bin
  if [[ ! -x tools/bin/staticcheck || ! -x tools/bin/grpcurl ]]; then
    ( cd tools/dev && GOWORK=off GOFLAGS=-mod=readonly go build -o ../bin/ \
        honnef.co/go/tools/cmd/staticcheck github.com/fullstorydev/grpcurl/cmd/grpcurl )
  fi
  # protoc plugins, pinned: gctl's protogen golden test compares gctl's output with theirs.
  # One go install per module (a single command with both fails).
  if [[ $(tools/bin/protoc-gen-go --version 2>/dev/null) != *v1.36.12 ]]; then
    GOBIN=$PWD/tools/bin GOWORK=off go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
  fi
  if [[ $(tools/bin/protoc-gen-go-grpc --version 2>/dev/null) != *1.6.2 ]]; then
    GOBIN=$PWD/tools/bin GOWORK=off go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.6.2
  fi
  if [[ ! -x tools/bin/consul ]]; then
    ( cd tools/consul && GOWORK=off GOFLAGS=-mod=readonly go build -trimpath -ldflags=-s -o ../bin/consul \
        github.com/hashicorp/consul )
  fi
  if [[ ! -x tools/bin/jaeger ]]; then
    ( cd tools/jaeger && GOWORK=off GOFLAGS=-mod=readonly go build -trimpath -ldflags=-s -o ../bin/jaeger \
        github.com/jaegertracing/jaeger/cmd/jaeger )
  fi
  if [[ ! -x tools/bin/weed ]]; then   # SeaweedFS (tools/seaweedfs): ~5-6 min with empty caches
    ( cd tools/seaweedfs && GOWORK=off GOFLAGS=-mod=readonly go build -trimpath -ldflags=-s -o ../bin/weed \
        github.com/seaweedfs/seaweedfs/weed )
  fi
}

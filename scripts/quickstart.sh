#!/usr/bin/env bash
# Quick start: builds gctl from this checkout, scaffolds a gRPC service into an
# empty directory outside the checkout (named after it: hello by default; it
# also serves HTTP), and runs it on embedded defaults until Ctrl-C. Nothing but
# Go and the Go module proxy is needed.
#   bash scripts/quickstart.sh [DIR]     (default: ${TMPDIR:-/tmp}/gox-quickstart/hello)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
dir=${1:-${TMPDIR:-/tmp}/gox-quickstart/hello}
mkdir -p "$(dirname "$dir")"

echo "== building gctl"
( cd cmd/gctl && go build -o "$root/tools/bin/gctl" . )
if [[ -e "$dir/go.mod" ]]; then
  echo "== $dir already holds a project: running it as it is"
else
  echo "== mkdir -p $dir && cd $dir && gctl new rpc    # named after the directory"
  mkdir -p "$dir"
  ( cd "$dir" && "$root/tools/bin/gctl" new rpc )
fi

cat <<MSG

== running $dir (Ctrl-C stops it gracefully). Try, from another terminal:
   curl localhost:8080/ping
   curl localhost:8080/readyz
   curl localhost:8080/metrics
   grpcurl -plaintext -d '{"name":"ann"}' localhost:9090 greeter.v1.Greeter/SayHello
   (grpcurl is built into $root/tools/bin by scripts/test.sh)

MSG
cd "$dir"
export GOWORK=off
exec go run main.go

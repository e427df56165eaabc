#!/usr/bin/env bash
# gctl gen proto against protoc + protoc-gen-go + protoc-gen-go-grpc on the
# same corpus: wall time of a whole run (process start to files written),
# ROUNDS alternated runs each, median and the ratio gctl/protoc.
#   bash bench/protogen.sh [ROUNDS=9] [FILES=50]
# The corpus: FILES generated .proto files in 5 packages, each file importing
# the previous one and a well-known type, with 6 messages (nested, enums,
# oneof, map, optional, repeated) and a service of 4 methods (all kinds).
# Needs protoc and the two plugins on PATH or in tools/bin (ci/tools.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-9}; F=${2:-50}
export PATH=$PWD/tools/bin:$PATH
command -v protoc >/dev/null && command -v protoc-gen-go >/dev/null && command -v protoc-gen-go-grpc >/dev/null ||
  { echo "protoc, protoc-gen-go and protoc-gen-go-grpc are needed (bash ci/tools.sh installs them)" >&2; exit 1; }
OUT=$(mktemp -d); trap 'rm -rf "$OUT"' EXIT
(cd cmd/gctl && go build -o "$OUT/gctl" .)
mkdir -p "$OUT/src"
for i in $(seq 1 "$F"); do
  p=$(( (i - 1) % 5 )); d="$OUT/src/corpus/p$p"; mkdir -p "$d"
  imp=""; ref="google.protobuf.Timestamp"
  if (( i > 5 )); then j=$((i - 5)); imp="import \"corpus/p$p/f$j.proto\";"; ref="corpus.p$p.M${j}a"; fi
  cat >"$d/f$i.proto" <<PROTO
syntax = "proto3";
package corpus.p$p;
option go_package = "example.com/corpus/p$p;p$p";
import "google/protobuf/timestamp.proto";
$imp
// M${i}a is a message.
message M${i}a {
  string name = 1;
  int64 id = 2;
  optional int32 rank = 3;
  repeated string tags = 4;
  map<string, int64> counts = 5;
  google.protobuf.Timestamp at = 6;
  oneof choice { string text = 7; bytes blob = 8; }
  enum Kind { KIND_UNSPECIFIED = 0; KIND_A = 1; KIND_B = 2; }
  Kind kind = 9;
  message Inner { string v = 1; repeated Inner children = 2; }
  Inner inner = 10;
}
message M${i}b { M${i}a a = 1; $ref ref = 2; }
message M${i}c { repeated M${i}b items = 1; string next = 2; }
message M${i}d { map<string, M${i}a> by_name = 1; }
message M${i}e { double x = 1; float y = 2; bool z = 3; }
message M${i}f { uint64 u = 1; sint32 s = 2; fixed64 f = 3; }
service S$i {
  rpc Get(M${i}a) returns (M${i}b);
  rpc List(M${i}a) returns (stream M${i}b);
  rpc Put(stream M${i}c) returns (M${i}d);
  rpc Chat(stream M${i}e) returns (stream M${i}f);
}
PROTO
done
files=$(cd "$OUT/src" && find corpus -name '*.proto' | sort)
protoc_run() { rm -rf "$OUT/a" && mkdir "$OUT/a" && (cd "$OUT/src" && protoc -I . --go_out="$OUT/a" --go_opt=paths=source_relative --go-grpc_out="$OUT/a" --go-grpc_opt=paths=source_relative $files); }
gctl_run() { rm -rf "$OUT/b" && mkdir "$OUT/b" && (cd "$OUT/src" && "$OUT/gctl" gen proto -I . --out "$OUT/b" --openapi "" $files >/dev/null); }
ms() { local t0 t1; t0=$(date +%s%N); "$@"; t1=$(date +%s%N); echo $(( (t1 - t0) / 1000000 )); }
protoc_run; gctl_run # warm the page cache
pa=(); ga=()
for r in $(seq 1 "$N"); do
  if (( r % 2 )); then pa+=("$(ms protoc_run)"); ga+=("$(ms gctl_run)"); else ga+=("$(ms gctl_run)"); pa+=("$(ms protoc_run)"); fi
done
med() { printf '%s\n' "$@" | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
P=$(med "${pa[@]}"); G=$(med "${ga[@]}")
same=$(cd "$OUT" && for f in $(cd a && find . -name '*.pb.go' ! -name '*_grpc.pb.go'); do cmp -s <(sed '/^\/\/ \tprotoc /d' "a/$f") <(sed '/^\/\/ \tprotoc /d' "b/$f") || echo "$f"; done | wc -l)
echo "files=$F rounds=$N protoc_ms=$P gctl_ms=$G ratio=$(awk -v g="$G" -v p="$P" 'BEGIN {printf "%.2f", g / p}') pb_go_differing=$same protoc=[${pa[*]}] gctl=[${ga[*]}]"

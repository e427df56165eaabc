#!/bin/sh
# Regenerates library.pb.go and library_grpc.pb.go with protoc 3.21.12,
# protoc-gen-go v1.36.12 and protoc-gen-go-grpc v1.6.2 on PATH. googleapi.binpb
# is a FileDescriptorSet of google/api/annotations.proto and its imports (the
# descriptors google.golang.org/genproto/googleapis/api/annotations registers).
# library_http.gox.go is gctl's output: cmd/gctl/internal/httprule's
# TestGoldenRuntimeFixture writes it with -update.
set -e
cd "$(dirname "$0")"
protoc --descriptor_set_in="${GOOGLEAPI_BINPB:?set GOOGLEAPI_BINPB}" -I . -I /usr/include \
	--go_out=paths=source_relative:. --go-grpc_out=paths=source_relative:. library.proto

// Package eventpb is generated from event.proto: gox.event.v1.EventService
// and CloudEvent, the CloudEvents 1.0 Protobuf format. Package eventgrpc
// serves and calls the service and converts between CloudEvent and
// event.Event; use this package directly only for a raw client.
package eventpb

//go:generate protoc -I . -I /usr/include --go_out=. --go_opt=paths=source_relative --go-grpc_out=. --go-grpc_opt=paths=source_relative event.proto

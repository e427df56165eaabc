# Jaeger v2 all-in-one (in-memory storage), built from tools/jaeger. Sourced.
install_jaeger() {
  if [[ ! -x tools/bin/jaeger ]]; then
    ( cd tools/jaeger && GOWORK=off GOFLAGS=-mod=readonly go build -trimpath -ldflags=-s -o ../bin/jaeger github.com/jaegertracing/jaeger/cmd/jaeger )
  fi
}
start_jaeger() {
  local grpc=${JAEGER_OTLP_GRPC_PORT:-24317} http=${JAEGER_OTLP_HTTP_PORT:-24318}
  local query=${JAEGER_QUERY_PORT:-26686} health=${JAEGER_HEALTH_PORT:-23133}
  local d="$SVC_TMP/jaeger"; mkdir -p "$d"
  cat >"$d/config.yaml" <<YAML
service:
  extensions: [jaeger_storage, jaeger_query, healthcheckv2]
  pipelines:
    traces: {receivers: [otlp], processors: [batch], exporters: [jaeger_storage_exporter]}
  telemetry:
    metrics: {level: none}
    logs: {level: warn}
extensions:
  jaeger_storage: {backends: {mem: {memory: {max_traces: 100000}}}}
  jaeger_query:
    storage: {traces: mem}
    enable_tracing: false
    http: {endpoint: "127.0.0.1:$query"}
    grpc: {endpoint: "127.0.0.1:$((query - 1))"}
  healthcheckv2: {use_v2: true, http: {endpoint: "127.0.0.1:$health"}}
receivers:
  otlp:
    protocols:
      grpc: {endpoint: "127.0.0.1:$grpc"}
      http: {endpoint: "127.0.0.1:$http"}
processors: {batch: {timeout: 200ms}}
exporters: {jaeger_storage_exporter: {trace_storage: mem}}
YAML
  tools/bin/jaeger --config "$d/config.yaml" >"$d/jaeger.log" 2>&1 &
  local pid=$!
  CLEANUP+=("stop_pid $pid 20")
  wait_until 60 curl -sf "http://127.0.0.1:$health/status"
  wait_until 30 curl -sf "http://127.0.0.1:$query/api/services"
  export JAEGER_QUERY_URL=http://127.0.0.1:$query JAEGER_OTLP_HTTP=127.0.0.1:$http JAEGER_OTLP_GRPC=127.0.0.1:$grpc
}

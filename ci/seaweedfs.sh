# Sourced by scripts/test.sh after ci/lib.sh; the binary (tools/bin/weed) is built by build_tools
# (ci/tools.sh) from tools/seaweedfs (SeaweedFS from the Go module proxy; go install @v fails on its replace).
# --- SeaweedFS 'weed server -s3' (Apache-2.0): the S3-compatible server of contrib/storage/s3's tests ---
# Credentials are checked (-s3.config identities), so a wrong secret key gets SignatureDoesNotMatch.
# Space: 64 MB volumes, at most 100; deleted objects are reclaimed by a vacuum every minute (the
# default, 14 min, let repeated 100 MiB benchmark uploads fill 40 volumes: "no writable volumes").
# Ports: S3 on 19633, the master/volume/filer/gRPC ports on 19640-19646, every one explicit (gRPC ports
# would default to port+10000), Iceberg and Lance listeners off, telemetry off, loopback only.
start_seaweedfs() {
  S3_PORT=${S3_PORT:-19633}; S3_ACCESS_KEY=${S3_ACCESS_KEY:-ciaccesskey}; S3_SECRET_KEY=${S3_SECRET_KEY:-cisecretkey123}
  S3_BUCKET=${S3_BUCKET:-gox-ci}
  local b=${SEAWEED_BASE_PORT:-19640} d="$SVC_TMP/seaweedfs" t0=$SECONDS; mkdir -p "$d"
  printf '{"identities":[{"name":"ci","credentials":[{"accessKey":"%s","secretKey":"%s"}],"actions":["Admin","Read","List","Tagging","Write"]}]}\n' \
    "$S3_ACCESS_KEY" "$S3_SECRET_KEY" >"$d/s3.json"
  # SSE-S3 needs a key-encryption key (else the server answers 500 to x-amz-server-side-encryption:
  # AES256): a random one per start, the data being throwaway.
  WEED_S3_SSE_KEK=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n') \
  weed server -dir="$d" -ip=127.0.0.1 -ip.bind=127.0.0.1 \
    -master.port="$b" -master.port.grpc=$((b + 1)) -master.telemetry=false -master.volumeSizeLimitMB=64 \
    -master.vacuumIntervalSeconds=60 -master.garbageThreshold=0.1 \
    -volume.port=$((b + 2)) -volume.port.grpc=$((b + 3)) -volume.max=100 -volume.preStopSeconds=0 \
    -filer -filer.port=$((b + 4)) -filer.port.grpc=$((b + 5)) -filer.localSocket="$d/filer.sock" \
    -s3 -s3.port="$S3_PORT" -s3.port.grpc=$((b + 6)) -s3.port.iceberg=0 -s3.port.lance=0 \
    -s3.localSocket="$d/s3.sock" -s3.config="$d/s3.json" >"$d/weed.log" 2>&1 &
  SEAWEED_PID=$!
  # SIGTERM takes 12-17 s (the filer retries a flush); the data is throwaway, so KILL after 3 s.
  # The gRPC unix sockets land in /tmp and survive a KILL: remove them.
  CLEANUP+=("stop_pid $SEAWEED_PID 3; rm -f /tmp/seaweedfs-master-grpc-$((b + 1)).sock /tmp/seaweedfs-volume-grpc-$((b + 3)).sock /tmp/seaweedfs-filer-grpc-$((b + 5)).sock /tmp/seaweedfs-s3-grpc-$((b + 6)).sock")
  if ! wait_until 60 curl -sf "http://127.0.0.1:$S3_PORT/healthz"; then tail -20 "$d/weed.log" >&2; return 1; fi
  # The first write blocks until ~11 s after start (the master defers volume-id allocation), and a
  # bucket's first write grows its volumes: create the tests' bucket and take that write here.
  local s3=(curl -sf --aws-sigv4 aws:amz:us-east-1:s3 -u "$S3_ACCESS_KEY:$S3_SECRET_KEY" -H x-amz-content-sha256:UNSIGNED-PAYLOAD)
  # (a bucket PUT retried after a slow first try answers 409: the HEAD then says it exists)
  seaweedfs_bucket() { "${s3[@]}" -X PUT "http://127.0.0.1:$S3_PORT/$S3_BUCKET" || "${s3[@]}" -I "http://127.0.0.1:$S3_PORT/$S3_BUCKET"; }
  if ! wait_until 60 seaweedfs_bucket ||
     ! wait_until 60 "${s3[@]}" -X PUT --data-binary x "http://127.0.0.1:$S3_PORT/$S3_BUCKET/ci-warmup"; then
    tail -20 "$d/weed.log" >&2; return 1
  fi
  "${s3[@]}" -X DELETE "http://127.0.0.1:$S3_PORT/$S3_BUCKET/ci-warmup" >/dev/null || true
  echo "seaweedfs: S3 on 127.0.0.1:$S3_PORT ready (bucket $S3_BUCKET) after $((SECONDS - t0)) s"
  export S3_ENDPOINT=http://127.0.0.1:$S3_PORT S3_ACCESS_KEY S3_SECRET_KEY S3_BUCKET S3_REGION=us-east-1
}

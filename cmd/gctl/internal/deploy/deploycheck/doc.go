// Package deploycheck validates what gctl deploy writes, with the real
// Helm v4 SDK and the typed Kubernetes API, and without a cluster. It
// holds tests only; it is a module of its own so that Helm (and the
// k8s.io modules it brings) stays out of gctl's build: a gctl user never
// downloads it.
//
// Each test scaffolds projects as gctl new does (scaffold.Render into a
// temporary directory, once per test binary) and runs gctl deploy's
// rendering in them (deploy.Load, deploy.Render, deploy.Write): an HTTP
// service on SQLite with the database queue, a gRPC service on
// PostgreSQL with Kafka and the gossip registry (the StatefulSet
// variant), RabbitMQ, NATS, and MySQL with the database queue.
//
// What is checked:
//
//   - The chart under deploy/chart renders with Helm's own engine
//     (action.Install with DryRunClient: what `helm template` does,
//     hooks included, values.schema.json enforced) for several value
//     sets: defaults, KEDA per queue driver, Istio, HPA, CronJobs.
//   - Every rendered document, and every plain manifest under deploy/k8s,
//     decodes strictly into its typed object: built-in kinds into
//     k8s.io/api types twice (sigs.k8s.io/yaml.UnmarshalStrict and
//     client-go's strict UniversalDeserializer); Istio's VirtualService
//     and DestinationRule into istio.io/client-go networking/v1, the spec
//     with protojson, which refuses unknown fields (Istio's own
//     UnmarshalJSON allows them); KEDA's ScaledObject and
//     TriggerAuthentication into mirror types written from KEDA v2's API
//     (keda_test.go says why and what they leave out), and each trigger's
//     metadata against the keys KEDA's documentation lists for that
//     scaler.
//   - deploy/k8s is what Helm renders from the chart with the default
//     values (release = the binary's name): the same objects, compared
//     decoded.
//   - What a user would hit: config.yaml's ConfigMap equals the project's
//     config.yaml and is mounted as a directory (never subPath: the
//     config watcher reloads on the kubelet's symlink swap) where the
//     container's --config points, without hiding the binary; container
//     ports and probe ports are config.yaml's; probes GET routes the
//     service serves (the built binary is run as the serve container runs
//     it, with the ConfigMap's config.yaml, and each probe path answered
//     200 or 503, never 404); the Service's targetPorts name real
//     container ports of the pods it selects; every container's command
//     and every CronJob's exists in the binary (`<binary> <args> --help`);
//     terminationGracePeriodSeconds covers the preStop sleep plus
//     app.stop_delay and app.stop_timeout read from config.yaml here; a
//     ${VAR} config.yaml needs without a default is set in every container
//     (not from an optional Secret key); HPA, ScaledObjects and PDB target
//     what is rendered, and no workload is scaled twice; Istio routes hit
//     the Service's ports with a timeout above app.request_timeout.
//   - Bad values are refused by Helm with the key named (values.schema.json
//     and the chart's own fail/required messages), and a Kubernetes older
//     than the chart's kubeVersion is refused.
//
// What is not run: no cluster (nothing is applied, so admission webhooks,
// defaulting and the API server's own validation beyond the types are not
// exercised), no Docker daemon (the image is not built; deploy's own
// tests run the Dockerfile's go build), no KEDA or Istio controllers (a
// ScaledObject's trigger is not evaluated against a real queue, a
// VirtualService not against a real mesh). The binary built here is the
// SQLite project's; the other projects' commands are checked against it,
// as they come from the same scaffold templates.
//
// The package has no fuzz target on purpose: its decoders read gctl's own
// output, not outside input (package deploy fuzzes what gctl reads), and
// ci/fuzz.sh would rebuild Helm and client-go with fuzzing
// instrumentation inside the budget all fuzz targets share.
package deploycheck

// Package deploy writes the deployment artifacts of a gox project: its
// container image build (deploy/Dockerfile and the .dockerignore of the
// build context, the project root), a Helm chart (deploy/chart/) and the
// plain Kubernetes manifests (deploy/k8s/), which are the chart rendered
// with its default values by gctl itself: one source of truth.
//
// The chart's templates are Helm templates embedded verbatim; gctl
// renders only Chart.yaml, values.yaml and the README from the Project,
// and executes the templates for the plain manifests with text/template
// and a FuncMap mirroring the few Helm and sprig functions they use
// (helm.go). Consumer workloads come from the job names of internal/job,
// read from its source with go/parser (ParseJobs), not from a build.
//
// Load reads what the artifacts need from the project itself: the module
// path and binary name from go.mod, the Go version from its go line, and
// the ports from config.yaml (http.addr, grpc.addr, http.metrics.addr), so
// the image exposes exactly what the service listens on. Render turns a
// Project into files through one list of artifacts, each a template under
// templates/; later artifacts (Kubernetes manifests, a Helm chart, KEDA and
// Istio objects) are more entries of that list, rendered from the same
// Project.
//
// Every artifact starts with a header line carrying a checksum of the rest
// of the file. Write rewrites a file only while that checksum still
// matches, that is while nobody edited it: an edited file (or one whose
// header was removed) is kept and reported, never overwritten, so a user
// owns a Dockerfile as soon as they change it. An unchanged file is not
// touched at all, so running gctl deploy twice writes nothing the second
// time.
//
// Nothing here runs Docker or talks to a cluster.
package deploy

// Package devloop is the inner loop behind `gctl run`: it watches a gox
// project's sources, rebuilds the service when they change and restarts it.
//
// One Service owns one project directory. It builds the project with
// `go build -o <tmp>/<n>/<name> .` while the previous process keeps serving,
// then stops that process gracefully (SIGTERM, then a kill after the stop
// timeout) and starts the new binary. A build that fails is printed and the
// last good process keeps serving; the next change tries again, so a project
// that does not build at start is watched until it does.
//
// On Linux the service leads a process group of its own, so a Ctrl-C in the
// terminal reaches gctl alone, which stops the services in order. The stop
// signal goes to the whole group, as a terminal's Ctrl-C would, and what is
// left of the group once the service has exited (a worker it started that
// ignores SIGTERM) is killed after a second: nothing outlives its service
// holding ports, files or the service's output.
//
// What counts as a change is decided by Classify: Go files (tests aside),
// go.mod and go.sum, templates and embedded SQL rebuild; .proto files run the
// generate hook (gctl wires `gctl gen proto`) and rebuild; config.yaml alone
// restarts nothing, because a gox service watches its own config file and
// applies what can be applied while running. Editor temp and swap files,
// hidden directories (.git), vendor, node_modules, testdata, data and build
// output directories are ignored. Changes are debounced: a burst of saves
// (an editor writing a temp file then renaming it, a branch checkout, a code
// generator) gives one rebuild after the burst has been quiet for the
// debounce interval; a batch whose files are byte-for-byte the ones of the
// last build (gctl's own generated output, a touch) rebuilds nothing.
//
// Run runs several services side by side, each line of their output and of
// the loop's own messages prefixed with the service name, coloured when the
// output is a terminal and NO_COLOR is unset. Cancelling the context stops
// them all gracefully.
//
// devloop owns no knowledge of a service's configuration or ports; it does
// not proxy requests, so a request in the short gap between the old process
// stopping and the new one listening is refused.
package devloop

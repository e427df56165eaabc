package event_test

import (
	"os/exec"
	"strings"
	"testing"
)

// The bus alone brings in neither transport: a service that dispatches
// events in process or through a broker links neither gin nor gRPC (the
// bindings that do are eventhttp and eventgrpc).
func TestImportsNoTransport(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/goxkit/gox/event").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		for _, banned := range []string{"github.com/gin-gonic/gin", "google.golang.org/grpc"} {
			if pkg == banned || strings.HasPrefix(pkg, banned+"/") {
				t.Errorf("package event depends on %s", pkg)
			}
		}
	}
}

package governance_test

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/goxkit/gox/middleware/governance"
	xhttp "github.com/goxkit/gox/transport/http"
)

// Two calls a minute per client address to one route: the third call is
// refused with 429 and told when to come back.
func Example() {
	c := governance.DefaultConfig() // the shedder on, with safe thresholds
	c.Rules = []governance.Rule{{
		Exact:     []string{"GET /users/:id"},
		RateLimit: &governance.RateLimit{Rate: governance.Rate{Limit: 2, Per: time.Minute}, Key: "ip"},
	}}
	gov, err := governance.New(c)
	if err != nil {
		panic(err)
	}
	defer gov.Close()

	s, err := xhttp.NewServer(xhttp.DefaultConfig(), xhttp.WithMiddleware(gov.Middleware()))
	if err != nil {
		panic(err)
	}
	s.GET("/users/:id", func(c *xhttp.Context) error {
		c.String(200, "user "+c.Param("id"))
		return nil
	})
	for range 3 {
		w := httptest.NewRecorder()
		r := httptest.NewRequest("GET", "/users/7", nil)
		r.RemoteAddr = "192.0.2.1:40000"
		s.ServeHTTP(w, r)
		fmt.Println(w.Code, w.Header().Get("Retry-After"), strings.Fields(w.Body.String())[0])
	}
	// Output:
	// 200  user
	// 200  user
	// 429 30 {"code":429,"reason":"RATE_LIMITED","message":"rate
}

package casbin_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	gormadapter "github.com/casbin/gorm-adapter/v3"

	"github.com/goxkit/gox/contrib/authz/casbin"
	"github.com/goxkit/gox/contrib/database/xgorm"
	_ "github.com/goxkit/gox/contrib/database/xgorm/sqlite"
	"github.com/goxkit/gox/contrib/database/xgorm/xgormtest"
	"github.com/goxkit/gox/goxtest"
)

// dbPolicies opens a SQLite database with gox's gorm contrib and returns a
// gorm-adapter over it holding the testdata policies.
func dbPolicies(t *testing.T) (*gormadapter.Adapter, *xgorm.DB) {
	t.Helper()
	db, err := xgorm.Open(t.Context(), xgorm.Configs{xgorm.DefaultName: xgormtest.SQLite(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	a, err := gormadapter.NewAdapterByDB(db.Default())
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.SplitSeq(testdata(t, "policy.csv"), "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		rule := strings.Split(line, ", ")
		if err := a.AddPolicy(rule[0][:1], rule[0], rule[1:]); err != nil {
			t.Fatal(err)
		}
	}
	return a, db
}

// Policies stored in SQLite are enforced; a row added by an admin tool is
// in force after Reload; a row that does not fit the model fails the
// reload and the policies in force stay.
func TestSQLitePolicies(t *testing.T) {
	a, db := dbPolicies(t)
	c := casbin.DefaultConfig()
	z, err := casbin.New(c, casbin.WithAdapter(a))
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	url := serveHTTP(t, authn(t).Middleware(), z.Middleware())
	carol := token(t, "carol", nil)
	if got := call(t, "GET", url+"/v1/users/1", token(t, "bob", nil)); got.status != 200 {
		t.Fatalf("reader from the database: %+v", got)
	}
	if got := call(t, "GET", url+"/v1/users/1", carol); got.status != http.StatusForbidden {
		t.Fatalf("carol before: %+v", got)
	}

	if err := a.AddPolicy("g", "g", []string{"carol", "reader"}); err != nil {
		t.Fatal(err)
	}
	if got := call(t, "GET", url+"/v1/users/1", carol); got.status != http.StatusForbidden {
		t.Fatalf("a new row is not in force before a reload: %+v", got)
	}
	if err := z.Reload(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := call(t, "GET", url+"/v1/users/1", carol); got.status != 200 {
		t.Fatalf("carol after the reload: %+v", got)
	}

	bad := gormadapter.CasbinRule{Ptype: "p", V0: "admin", V1: "/v1/reports"}
	if err := db.Default().Create(&bad).Error; err != nil {
		t.Fatal(err)
	}
	err = z.Reload(t.Context())
	if err == nil || !strings.Contains(err.Error(), "policies from the adapter") || !strings.Contains(err.Error(), "/v1/reports") {
		t.Fatalf("reload of a bad row: %v", err)
	}
	if got := call(t, "GET", url+"/v1/users/1", carol); got.status != 200 {
		t.Fatalf("the policies in force were dropped: %+v", got)
	}
}

// With reload_interval the adapter is read again on every tick.
func TestSQLiteReloadInterval(t *testing.T) {
	a, _ := dbPolicies(t)
	ticks := make(chan time.Time)
	var l logs
	c := casbin.DefaultConfig()
	c.ReloadInterval = time.Minute
	z, err := casbin.New(c, casbin.WithAdapter(a), casbin.WithTicks(ticks), casbin.WithLogger(l.logger()))
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	allowed := func() bool { ok, _ := z.Enforcer().Enforce("carol", "/v1/users/:id", "GET"); return ok }
	if err := a.AddPolicy("g", "g", []string{"carol", "reader"}); err != nil {
		t.Fatal(err)
	}
	if allowed() {
		t.Fatal("in force before the tick")
	}
	ticks <- time.Now()
	goxtest.Eventually(t, 5*time.Second, allowed)
	goxtest.Eventually(t, 5*time.Second, func() bool { return l.contains("policies reloaded") })

	// a row removed is refused after the next tick, though the middleware
	// answered the call before from its cache
	check := checker(z)
	for range 2 {
		if err := check("carol", "GET /v1/users/:id", "/v1/users/1"); err != nil {
			t.Fatalf("carol, reader: %v", err)
		}
	}
	if err := a.RemovePolicy("g", "g", []string{"carol", "reader"}); err != nil {
		t.Fatal(err)
	}
	ticks <- time.Now()
	goxtest.Eventually(t, 5*time.Second, func() bool {
		return errors.Is(check("carol", "GET /v1/users/:id", "/v1/users/1"), casbin.ErrPermissionDenied)
	})
}

// An adapter and a policy file together are refused: which one wins would
// be a guess.
func TestAdapterAndFile(t *testing.T) {
	a, _ := dbPolicies(t)
	c := casbin.DefaultConfig()
	c.Policy = "policy.csv"
	if _, err := casbin.New(c, casbin.WithAdapter(a)); err == nil || !strings.Contains(err.Error(), "choose one") {
		t.Fatalf("error %v", err)
	}
}

package audit

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestPathParam(t *testing.T) {
	for _, tc := range []struct {
		op, path, name, want string
		ok                   bool
	}{
		{"GET /users/:id", "/users/42", "id", "42", true},
		{"GET /orgs/:org/users/:id", "/orgs/acme/users/7", "org", "acme", true},
		{"GET /orgs/:org/users/:id", "/orgs/acme/users/7", "id", "7", true},
		{"GET /files/*path", "/files/a/b.txt", "path", "/a/b.txt", true},
		{"GET /users/:id", "/users/42", "user_id", "", false},
		{"GET /users/:identity", "/users/42", "id", "", false},
		{"/user.v1.User/Get", "/v1/users/42", "id", "", false},
		{"GET /users", "/users", "id", "", false},
	} {
		got, ok := pathParam(tc.op, tc.path, tc.name)
		if got != tc.want || ok != tc.ok {
			t.Errorf("pathParam(%q, %q, %q) = %q, %v; want %q, %v", tc.op, tc.path, tc.name, got, ok, tc.want, tc.ok)
		}
	}
}

type inner struct {
	ID int64 `json:"id"`
}

type embedded struct {
	Tenant string `json:"tenant"`
}

type request struct {
	embedded
	UserID  string `uri:"user_id"`
	Page    int    `form:"page"`
	Name    string
	Order   *inner            `json:"order"`
	Missing *inner            `json:"missing"`
	Labels  map[string]string `json:"labels"`
	List    []string          `json:"list"`
}

func TestStructField(t *testing.T) {
	r := &request{embedded: embedded{Tenant: "acme"}, UserID: "u1", Page: 3, Name: "n", Order: &inner{ID: 9},
		Labels: map[string]string{"env": "prod"}, List: []string{"a"}}
	for path, want := range map[string]string{
		"tenant": "acme", "user_id": "u1", "page": "3", "name": "n", "order.id": "9", "labels.env": "prod",
		"missing.id": "", "list": "", "order": "", "nope": "", "labels.none": "",
	} {
		got, ok := field(r, strings.Split(path, "."))
		if got != want || ok != (want != "") {
			t.Errorf("field %q = %q, %v; want %q", path, got, ok, want)
		}
	}
	if got, ok := field(map[string]any{"id": json.Number("12")}, []string{"id"}); got != "12" || !ok {
		t.Errorf("map field = %q, %v", got, ok)
	}
	if _, ok := field((*request)(nil), []string{"name"}); ok {
		t.Error("a nil request has no field")
	}
}

func TestBound(t *testing.T) {
	s := strings.Repeat("é", maxValueLen) // 2 bytes each
	b := bound(s)
	if len(b) > maxValueLen || !strings.HasPrefix(s, b) || len(b) != maxValueLen {
		t.Fatalf("bound cut to %d bytes, %q...", len(b), b[:10])
	}
	odd := "x" + s
	if b := bound(odd); len(b) != maxValueLen-1 {
		t.Fatalf("bound kept a split rune: %d bytes", len(b))
	}
}

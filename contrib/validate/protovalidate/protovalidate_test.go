package protovalidate_test

import (
	"context"
	"encoding/json"
	stderrors "errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/goxkit/gox/contrib/validate/protovalidate"
	"github.com/goxkit/gox/contrib/validate/protovalidate/testpb"
	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/goxtest"
	"github.com/goxkit/gox/middleware/validate"
	xgrpc "github.com/goxkit/gox/transport/grpc"
	xhttp "github.com/goxkit/gox/transport/http"
)

type users struct {
	testpb.UnimplementedUsersServer
}

func (users) CreateUser(_ context.Context, req *testpb.CreateUserRequest) (*testpb.User, error) {
	return &testpb.User{Name: req.GetName()}, nil
}

// servers serves users over gRPC and over HTTP (a POST route that decodes
// the body with protojson and calls validate.Check, as a route generated
// from a google.api.http rule does), both behind the same validation
// middleware, and returns a gox gRPC client, a plain grpc-go connection and
// the HTTP base URL.
func servers(t *testing.T, opts ...validate.Option) (testpb.UsersClient, *grpc.ClientConn, string) {
	t.Helper()
	pv, err := protovalidate.New()
	if err != nil {
		t.Fatal(err)
	}
	mw := validate.Server(append([]validate.Option{validate.WithProto(pv)}, opts...)...)

	gc := xgrpc.DefaultConfig()
	gc.Addr = "127.0.0.1:0"
	gs, err := xgrpc.NewServer(gc, xgrpc.WithMiddleware(mw))
	if err != nil {
		t.Fatal(err)
	}
	testpb.RegisterUsersServer(gs, users{})
	if _, err := gs.Endpoint(); err != nil {
		t.Fatal(err)
	}
	goxtest.Serve(t, gs)

	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs, err := xhttp.NewServer(xhttp.DefaultConfig(), xhttp.WithListener(lis), xhttp.WithMiddleware(mw))
	if err != nil {
		t.Fatal(err)
	}
	hs.POST("/v1/users", func(c *xhttp.Context) error {
		body, err := io.ReadAll(c.Request.Body)
		if err != nil {
			return err
		}
		req := &testpb.CreateUserRequest{}
		if err := protojson.Unmarshal(body, req); err != nil {
			return errors.BadRequest("MALFORMED_JSON", err.Error())
		}
		if err := validate.Check(c.Request.Context(), req); err != nil {
			return err
		}
		u, err := users{}.CreateUser(c.Request.Context(), req)
		if err != nil {
			return err
		}
		b, _ := protojson.Marshal(u)
		c.Data(http.StatusOK, "application/json", b)
		return nil
	})
	goxtest.Serve(t, hs)

	goxConn, err := xgrpc.Dial(gs.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { goxConn.Close() })
	plain, err := grpc.NewClient(gs.Addr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { plain.Close() })
	return testpb.NewUsersClient(goxConn), plain, "http://" + lis.Addr().String()
}

// envelope is transport/http's error JSON.
type envelope struct {
	Code    int               `json:"code"`
	Reason  string            `json:"reason"`
	Message string            `json:"message"`
	Data    map[string]string `json:"data"`
}

func postJSON(t *testing.T, url string, req *testpb.CreateUserRequest) (int, envelope) {
	t.Helper()
	b, _ := protojson.Marshal(req)
	resp, err := http.Post(url, "application/json", strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var env envelope
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		if err := json.Unmarshal(raw, &env); err != nil {
			t.Fatalf("%d %s: %v", resp.StatusCode, raw, err)
		}
	}
	return resp.StatusCode, env
}

// TestSameErrorOverHTTPAndGRPC: one invalid request gets the same coded
// error over HTTP and gRPC; a plain grpc-go client reads each field from
// the BadRequest detail.
func TestSameErrorOverHTTPAndGRPC(t *testing.T) {
	client, plain, base := servers(t)
	bad := &testpb.CreateUserRequest{
		Name: "al", Email: "not an email", Age: 200,
		Items:       []*testpb.Item{{Name: "a"}, {}},
		DisplayName: "far too long a name",
	}
	wantFields := "name,email,age,items[1].name,display_name"
	wantMessage := `field "name" fails "string.min_len": must be at least 3 characters; ` +
		`field "email" fails "string.email": must be a valid email address; ` +
		`field "age" fails "int32.gte_lte": must be greater than or equal to 0 and less than or equal to 150; ` +
		`field "items[1].name" fails "required": value is required; ` +
		`field "display_name" fails "string.max_len": must be at most 10 characters`

	code, env := postJSON(t, base+"/v1/users", bad)
	if code != 400 || env.Reason != "INVALID_FIELD" || env.Data["field"] != wantFields || env.Message != wantMessage {
		t.Fatalf("HTTP: %d %+v\nwant fields %q message %q", code, env, wantFields, wantMessage)
	}

	_, err := client.CreateUser(context.Background(), bad)
	e, ok := stderrors.AsType[*errors.Error](err)
	if !ok || e.Code != 400 || e.Reason != env.Reason || e.Message != env.Message || e.Metadata["field"] != env.Data["field"] {
		t.Fatalf("gRPC (gox client): %v\nHTTP: %+v", err, env)
	}

	_, err = testpb.NewUsersClient(plain).CreateUser(context.Background(), bad)
	st, _ := status.FromError(err)
	if st.Code() != codes.InvalidArgument {
		t.Fatalf("gRPC (plain client): %v", st)
	}
	var fields []string
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, fv := range br.GetFieldViolations() {
				fields = append(fields, fv.GetField())
				if fv.GetDescription() == "" {
					t.Errorf("violation of %s has no description", fv.GetField())
				}
			}
		}
	}
	if strings.Join(fields, ",") != wantFields {
		t.Fatalf("BadRequest fields %q, want %q (details %v)", fields, wantFields, st.Details())
	}

	good := &testpb.CreateUserRequest{Name: "alice", Email: "a@example.com", Age: 30, Items: []*testpb.Item{{Name: "a"}}}
	if u, err := client.CreateUser(context.Background(), good); err != nil || u.GetName() != "alice" {
		t.Fatalf("valid request over gRPC: %v %v", u, err)
	}
	if code, env := postJSON(t, base+"/v1/users", good); code != 200 {
		t.Fatalf("valid request over HTTP: %d %+v", code, env)
	}
}

func TestFailFastStopsAtTheFirstViolation(t *testing.T) {
	client, _, base := servers(t, validate.WithFailFast())
	bad := &testpb.CreateUserRequest{Name: "al", Email: "nope"}
	_, err := client.CreateUser(context.Background(), bad)
	if e := errors.FromError(err); e.Metadata["field"] != "name" {
		t.Fatalf("gRPC: %+v, want only name", e)
	}
	if code, env := postJSON(t, base+"/v1/users", bad); code != 400 || env.Data["field"] != "name" {
		t.Fatalf("HTTP: %d %+v, want only name", code, env)
	}
}

// One Validator serves concurrent calls (run with -race).
func TestValidatorIsReusedAcrossGoroutines(t *testing.T) {
	pv, err := protovalidate.New()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan []validate.Violation)
	for range 8 {
		go func() {
			vs, _ := pv.ValidateProto(&testpb.CreateUserRequest{Name: "al", Email: "a@example.com"}, false)
			done <- vs
		}()
	}
	for range 8 {
		if vs := <-done; len(vs) != 1 || vs[0].Field != "name" {
			t.Fatalf("violations %v", vs)
		}
	}
}

// A rule that does not compile is the service's fault: a 500, not a 400
// blaming the request.
func TestRuleThatDoesNotCompileIsA500(t *testing.T) {
	pv, err := protovalidate.New()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pv.ValidateProto(&testpb.Broken{X: "x"}, false); err == nil {
		t.Fatal("no error for a rule that does not compile")
	}
	err = validate.New(validate.WithProto(pv)).Validate(&testpb.Broken{X: "x"})
	if errors.Code(err) != 500 {
		t.Fatalf("got %v, want a 500", err)
	}
}

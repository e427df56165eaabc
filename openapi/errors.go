package openapi

import (
	"net/http"
	"strconv"
	"strings"
)

// gox's error responses: the status, the component's name and the reasons
// gox itself answers with (a handler may return others).
var errorResponses = []struct {
	status  int
	name    string
	body    bool // only for operations with a request body
	reasons []string
	why     string
}{
	{http.StatusBadRequest, "gox.BadRequest", false, []string{"INVALID_FIELD", "MALFORMED_JSON", "EMPTY_BODY"},
		"The request does not fit the operation: a parameter or a body field that fails its type or its constraints (INVALID_FIELD, the fields in data.field / metadata.field), a body that is not JSON (MALFORMED_JSON) or is missing (EMPTY_BODY)."},
	{http.StatusNotFound, "gox.NotFound", false, []string{"ROUTE_NOT_FOUND", "NOT_FOUND"},
		"No route matches the path (ROUTE_NOT_FOUND), or the handler found nothing (its own reason)."},
	{http.StatusRequestEntityTooLarge, "gox.PayloadTooLarge", true, []string{"PAYLOAD_TOO_LARGE"},
		"The body is over the server's limit (http.max_body_bytes)."},
	{http.StatusTooManyRequests, "gox.TooManyRequests", false, []string{"RATE_LIMITED", "TOO_MANY_REQUESTS"},
		"The operation's rate limit is used up; Retry-After says when to try again."},
	{http.StatusInternalServerError, "gox.Internal", false, []string{"INTERNAL", "PANIC"},
		"The handler failed (INTERNAL) or panicked (PANIC)."},
	{http.StatusServiceUnavailable, "gox.Unavailable", false,
		[]string{"OVERLOADED", "CONCURRENCY_LIMITED", "RATE_LIMITER_UNAVAILABLE", "UNAVAILABLE", "CIRCUIT_OPEN", "NO_INSTANCE", "UNREACHABLE"},
		"The service refused the call to stay within its capacity (OVERLOADED, CONCURRENCY_LIMITED), or a service it calls is not there (CIRCUIT_OPEN, NO_INSTANCE, UNREACHABLE); Retry-After says when to try again."},
	{http.StatusGatewayTimeout, "gox.Timeout", false, []string{"TIMEOUT", "DEADLINE_TOO_SHORT"},
		"The call's deadline passed (TIMEOUT), or was too short to start it (DEADLINE_TOO_SHORT)."},
}

// addErrors lists gox's error responses in op.
func addErrors(op map[string]any, hasBody bool) {
	responses := object(op, "responses")
	for _, e := range errorResponses {
		if e.body && !hasBody {
			continue
		}
		code := strconv.Itoa(e.status)
		if _, own := responses[code]; !own {
			responses[code] = map[string]any{"$ref": "#/components/responses/" + e.name}
		}
	}
}

// addErrorComponents adds the error body's schema and the error responses
// to components.
func addErrorComponents(comps map[string]any, problem bool) {
	schemas, responses := object(comps, "schemas"), object(comps, "responses")
	strMap := map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "string"}}
	media, schema := "application/json", "gox.Error"
	if problem {
		media, schema = "application/problem+json", "gox.Problem"
		schemas[schema] = map[string]any{
			"type":        "object",
			"description": "An RFC 9457 problem detail, gox's reason and metadata as extension members. cause and stack are written in development only.",
			"required":    []any{"type", "title", "status"},
			"properties": map[string]any{
				"type":     map[string]any{"type": "string"},
				"title":    map[string]any{"type": "string"},
				"status":   map[string]any{"type": "integer"},
				"detail":   map[string]any{"type": "string"},
				"instance": map[string]any{"type": "string"},
				"reason":   map[string]any{"type": "string", "description": "What went wrong, in upper snake case."},
				"metadata": strMap,
				"cause":    map[string]any{"type": "string"},
				"stack":    map[string]any{"type": "string"},
			},
		}
	} else {
		schemas[schema] = map[string]any{
			"type":        "object",
			"description": "gox's error envelope. cause and stack are written in development only.",
			"required":    []any{"code", "message", "data"},
			"properties": map[string]any{
				"code":    map[string]any{"type": "integer", "description": "The HTTP status."},
				"reason":  map[string]any{"type": "string", "description": "What went wrong, in upper snake case."},
				"message": map[string]any{"type": "string"},
				"data": map[string]any{"type": []any{"object", "null"}, "additionalProperties": map[string]any{"type": "string"},
					"description": "The error's metadata (field: the fields at fault, retry_after: the wait)."},
				"cause": map[string]any{"type": "string"},
				"stack": map[string]any{"type": "string"},
			},
		}
	}
	for _, e := range errorResponses {
		reasons := e.reasons
		example := map[string]any{"code": e.status, "reason": reasons[0], "message": strings.ToLower(strings.ReplaceAll(reasons[0], "_", " ")), "data": nil}
		if problem {
			example = map[string]any{"type": "about:blank", "title": http.StatusText(e.status), "status": e.status,
				"detail": example["message"], "reason": reasons[0]}
		}
		r := map[string]any{
			"description": e.why + " Reasons gox answers with: " + strings.Join(reasons, ", ") + ".",
			"content": map[string]any{media: map[string]any{
				"schema":  map[string]any{"$ref": "#/components/schemas/" + schema},
				"example": example,
			}},
		}
		if e.status == http.StatusTooManyRequests || e.status == http.StatusServiceUnavailable {
			r["headers"] = map[string]any{"Retry-After": map[string]any{
				"description": "Seconds to wait before trying again.",
				"schema":      map[string]any{"type": "integer"},
			}}
		}
		responses[e.name] = r
	}
}

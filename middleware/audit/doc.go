// Package audit writes an operation (audit) log: for each call of a
// selected operation, one structured Record of who did what, to what, when,
// with what outcome and how long it took. It is middleware on gox's one
// chain, so HTTP routes, gRPC methods of every kind and queue consumers are
// audited alike.
//
// A Record holds:
//   - time: when the call started; latency: how long it took, both on the
//     Auditor's clock (WithClock);
//   - subject: who called — the verified JWT claims of middleware/auth
//     (Config.SubjectClaim, "sub" by default) when the call carries them,
//     else the request header Config.SubjectHeader names, else
//     Config.Anonymous ("anonymous");
//   - operation and kind: the route template ("DELETE /users/:id") or the
//     gRPC method, and the transport ("http", "grpc", "queue");
//   - resources: the values of Config.ResourceFields, each looked up first
//     among the HTTP route's path parameters (":id" in the template), then
//     in the decoded request (a proto message by proto or JSON field name, a
//     struct by json, uri or form tag or Go name, a map by key; "a.b" walks
//     into nested messages);
//   - request_id, trace_id, client (the connection's address, or the first
//     value of Config.ClientHeader when a trusted proxy sets one);
//   - outcome "ok" or "error", with the code (the HTTP status or gox error
//     code) and, on error, the gox reason; a panic going through is an error
//     with reason PANIC;
//   - request: optionally (Config.RecordRequest), a snapshot of the request
//     as JSON, redacted and bounded by Config.MaxRequestBytes.
//
// On gRPC and queue consumers the chain sees the decoded request. On HTTP
// it sees the *http.Request before the handler decoded its body, so the
// middleware leaves a hook in the context (middleware.NewDecodeHookContext)
// that gox's decoders call with the decoded, valid request: transport/http's
// JSON adapter and Context.Decode, and the routes gctl generates from
// google.api.http rules (transport/http/httprule). A handler that decodes
// the body some other way hands its value over with Observe. Without
// either, an HTTP record has the path parameters and, with RecordRequest,
// the raw JSON body (read up to the limit and put back for the handler). On
// a gRPC stream the first message received stands for the request.
//
// Redaction: in a request snapshot and among the resources, the value of
// every key whose name contains one of the secret names — password, token,
// authorization, secret, api_key and Config.Redact — is replaced by
// "[redacted]", whole objects and arrays included. Names are compared
// without case, "_" and "-", so "apiKey", "X-Api-Key" and "refresh_token"
// are all secrets.
//
// Sinks: a Record goes to every Sink given (WithSink): LogSink writes it to
// a *slog.Logger of its own (OpenLog builds one from Config.Log, a rotated
// file of its own through package log), BrokerSink publishes it as one JSON
// message to a broker topic. Sinks are written in turn once the call is
// over, with a context that is not cancelled with the request and that
// times out after Config.WriteTimeout. A sink that fails or panics never
// fails the request: the failure is counted (Auditor.Failures) and logged.
//
// With the database queue (contrib/broker/dbbroker) a published record is
// durable, and with Commit it is transactional: a handler that writes in an
// xgorm transaction calls Commit(ctx) inside it, and the record joins the
// transaction through dbbroker's outbox — it is stored if and only if the
// business write commits.
//
// The package records calls; it does not authenticate them (middleware/auth)
// nor decide who may make them.
package audit

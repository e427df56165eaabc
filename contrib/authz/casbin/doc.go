// Package casbin authorizes calls with casbin (github.com/casbin/casbin/v2):
// a gox middleware that checks every call on every transport, HTTP routes
// and gRPC methods of all four kinds alike, against a model and a policy.
//
// A check asks casbin whether (subject, object, action) is allowed:
//
//   - subject: from the claims the authentication middleware verified
//     (middleware/auth, auth.FromContext): the sub claim, or the claim
//     Config.Subject names ("role"; "roles" holding a list, in which case
//     any role allowing is enough). A call without claims is refused with
//     403, or checked as Config.Anonymous when that is set.
//   - object: for an HTTP route its template ("/v1/users/:id", the
//     default, Config.Object "route") or the path asked for ("/v1/users/42",
//     "path"); for a gRPC method, and for an HTTP route registered under a
//     gRPC method name, the full method ("/user.v1.User/Get").
//   - action: the HTTP method ("GET"), or "call" (ActionCall) for gRPC.
//
// DefaultModel is the rbac_model.conf style: g lines give subjects roles,
// p lines give roles (or subjects) an object pattern (keyMatch2: ":id" and
// "*") and an action ("*": any):
//
//	p, admin,  /v1/users/*,             *
//	p, reader, /v1/users/:id,           GET
//	p, reader, /user.v1.User/Get,       call
//	g, alice,  admin
//
// A call no policy allows ends with the coded error ErrPermissionDenied:
// HTTP 403 with reason PERMISSION_DENIED, gRPC PermissionDenied. Public
// operations (Config.Public, WithPublic) are not checked.
//
// Policies come from a CSV file, watched: a change is loaded without a
// restart and swapped in whole, and a file that does not load keeps the
// policies in force and is logged. Or they come from a database through a
// casbin adapter (WithAdapter; github.com/casbin/gorm-adapter/v3 over a DB
// opened with contrib/database/xgorm), reloaded every
// Config.ReloadInterval and by Reload.
//
// Decisions are cached (Config.CacheSize, a bounded LRU emptied on every
// reload), and the patterns of keyMatch2, keyMatch3, keyMatch5 and
// regexMatch are compiled once per policy set instead of on every call:
// an allowed call answered from the cache costs a fraction of a
// microsecond where casbin's Enforce costs tens.
//
// New refuses what would make every check fail or silently mean something
// else, naming the file and line: a model file with a syntax error, an
// unknown section or key, an effect casbin does not know, a matcher that
// does not compile or reads a field the definitions lack; a policy line of
// a type the model does not define or with the wrong number of fields.
//
// This package does not authenticate: the auth middleware, earlier on the
// chain, refuses a call without a valid token with 401.
package casbin

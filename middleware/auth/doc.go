// Package auth authenticates callers by a JSON Web Token (RFC 7519) on
// every transport: one middleware reads the bearer token from the HTTP
// Authorization header or the gRPC "authorization" metadata, verifies its
// signature (HS256/384/512, RS256/384/512, PS256/384/512, ES256/384/512,
// EdDSA) with github.com/golang-jwt/jwt/v5 against static keys or the keys a
// JWKS URL publishes, checks exp, nbf and iat with a leeway, the issuer, the
// audience and the claims a service requires, and puts the verified claims in
// the context for the handler (FromContext).
//
// A call it refuses ends with a coded gox error: 401 with reason
// UNAUTHENTICATED (no token), TOKEN_EXPIRED or TOKEN_INVALID (anything else
// wrong with it, without saying which part of the signature check failed),
// which HTTP renders with an RFC 6750 WWW-Authenticate challenge and gRPC as
// Unauthenticated with an ErrorInfo carrying the reason. Operations listed as
// public (Config.Public, the selectors of package middleware) are not
// checked.
//
// JWKS keys are cached; a token naming a key id the cache lacks makes one
// refresh (concurrent callers share it), at most one every
// JWKS.MinRefreshInterval, so tokens with made-up key ids cannot make the
// service hammer the identity provider; the set is refreshed in the
// background once older than JWKS.RefreshInterval; and while the endpoint is
// down the cached keys stay in use, the failure is logged and the refresh
// retried at the same limited pace.
//
// Sign, Issuer and PublicJWKS issue tokens, for tests and for services that
// log users in.
//
// The package owns authentication only: who may do what (authorization),
// CORS and TLS are other layers of the chain.
package auth

// Package auth authenticates API requests: API keys (stored as SHA-256
// digests, compared in constant time) and RS256 JWTs checked against a
// JWKS, as Amazon Cognito issues them. It knows nothing of the API beyond
// the request's headers; its Error says whether to answer 401, 403 or 503.
package auth

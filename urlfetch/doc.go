// Package urlfetch downloads a picture named by a client's URL without
// letting that client reach the server's own network (SSRF): http and https
// only, every address actually dialled checked against the special-purpose
// registries, redirects re-checked, size and time bounded. Its errors say
// which of four things went wrong (Kind), for the API to map to a status.
package urlfetch

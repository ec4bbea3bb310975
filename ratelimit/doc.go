// Package ratelimit is a per-client token bucket whose table of clients
// stays bounded without a background goroutine.
package ratelimit

// Package httpx holds the small HTTP client helpers that several packages
// share, such as fetching a bounded JSON document.
package httpx

// Package testpics makes pictures for tests that must be large in pixels
// yet cheap to build and to send: a flat baseline JPEG of any size written
// block by block, and a PNG whose header declares any size.
package testpics

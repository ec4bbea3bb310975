// Package cli implements the classifly command: its subcommands parse their
// flags here and call the packages that do the work.
package cli

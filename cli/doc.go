// Package cli implements the classifly command: its subcommands parse their
// flags here and call the packages that do the work. It is also where the
// program is assembled for people: the model resolver gets the default model
// built into the binary and a download display (a bar on a terminal, lines
// elsewhere), help goes to stdout, and a usage error says why (exit 2).
package cli

// Package web holds the built console. `make web` writes it to web/dist and
// the Go build embeds it, so the single binary serves the console at /.
package web

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

// Assets returns the built console, rooted at its index.html. It holds only
// dist/.keep when the console has not been built.
func Assets() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // the embed pattern above guarantees the directory exists
	}
	return sub
}

// Package server_test holds the import rule of docs/architecture.md as a
// test, so that a layering mistake fails the build instead of a review.
package server_test

import (
	"bufio"
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/switchboardhq/switchboard"

// rule forbids packages under from importing anything under any of deny.
type rule struct {
	why   string
	from  func(pkg string) bool
	deny  []string
	allow func(pkg, imp string) bool
}

func under(prefixes ...string) func(string) bool {
	return func(pkg string) bool {
		for _, p := range prefixes {
			if pkg == module+"/"+p || strings.HasPrefix(pkg, module+"/"+p+"/") {
				return true
			}
		}
		return false
	}
}

// isDomain reports whether pkg is a domain package: server/<domain>, not the
// api, app or platform layers.
func isDomain(pkg string) bool {
	rest, ok := strings.CutPrefix(pkg, module+"/server/")
	if !ok {
		return false
	}
	top, _, _ := strings.Cut(rest, "/")
	return top != "api" && top != "app" && top != "platform"
}

var rules = []rule{
	{
		why:  "domain packages know nothing of the wire: no Connect, no gRPC, no generated API code",
		from: isDomain,
		deny: []string{"connectrpc.com/", "google.golang.org/grpc", module + "/gen/", module + "/server/api", module + "/server/app"},
	},
	{
		why:  "handlers are thin: they call domain services, never the database",
		from: under("server/api"),
		deny: []string{module + "/ent"},
	},
	{
		why:  "the platform layer is below the domains",
		from: under("server/platform"),
		deny: []string{module + "/server/"},
		allow: func(_, imp string) bool {
			return strings.HasPrefix(imp, module+"/server/platform/")
		},
	},
	{
		why:  "the data model and the SDK stand alone",
		from: under("ent", "clients"),
		deny: []string{module + "/server/"},
	},
}

func TestImportRules(t *testing.T) {
	cmd := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}{{range .TestImports}} {{.}}{{end}}`, module+"/...")
	cmd.Dir = ".."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var checked int
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		pkg, imports := fields[0], fields[1:]
		for _, r := range rules {
			if !r.from(pkg) {
				continue
			}
			checked++
			for _, imp := range imports {
				for _, d := range r.deny {
					if strings.HasPrefix(imp, d) && (r.allow == nil || !r.allow(pkg, imp)) {
						t.Errorf("%s imports %s: %s", strings.TrimPrefix(pkg, module+"/"), imp, r.why)
					}
				}
			}
		}
	}
	if checked < 5 {
		t.Fatalf("only %d packages checked: the rule walk is broken", checked)
	}
}

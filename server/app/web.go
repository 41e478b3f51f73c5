package app

import (
	"crypto/tls"
	"encoding/json"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"

	openapi "github.com/switchboardhq/switchboard/gen/openapi"
	"github.com/switchboardhq/switchboard/server/platform/buildinfo"
	"github.com/switchboardhq/switchboard/server/platform/interceptor"
	"github.com/switchboardhq/switchboard/web"
)

// consoleHandler serves the embedded console; paths that are not files get
// index.html so that client-side routes survive a reload.
func consoleHandler() http.Handler {
	assets := web.Assets()
	files := http.FileServerFS(assets)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		name := strings.TrimPrefix(path.Clean(r.URL.Path), "/")
		if name != "" {
			if st, err := fs.Stat(assets, name); err == nil && !st.IsDir() {
				if strings.HasPrefix(name, "assets/") {
					// Vite fingerprints these names, so they never change.
					w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
				}
				files.ServeHTTP(w, r)
				return
			}
		}
		index, err := fs.ReadFile(assets, "index.html")
		if err != nil {
			http.Error(w, "the console is not built into this binary; run `make build`", http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		_, _ = w.Write(index)
	})
}

// openAPIHandler serves the merged OpenAPI document with this build's
// version filled in.
func openAPIHandler() http.Handler {
	var doc map[string]any
	body := openapi.Document
	if err := json.Unmarshal(openapi.Document, &doc); err == nil {
		info, _ := doc["info"].(map[string]any)
		if info == nil {
			info = map[string]any{}
		}
		info["title"] = "Switchboard API"
		info["version"] = buildinfo.Version
		doc["info"] = info
		if b, err := json.MarshalIndent(doc, "", "  "); err == nil {
			body = b
		}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})
}

// securityHeaders adds the headers every response should carry (IM-11).
func securityHeaders(tls bool, next http.Handler) http.Handler {
	const csp = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
		"connect-src 'self'; font-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		if tls {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}

// crossSiteGuard refuses state-changing requests that carry the session
// cookie but come from another site. SameSite=Strict already keeps the
// cookie off such requests in current browsers; this is the second lock
// (CSRF protection, IM-11). Requests authenticated by an authorization
// header are not affected: another site cannot set that header.
func crossSiteGuard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet || r.Method == http.MethodHead || r.Method == http.MethodOptions {
			next.ServeHTTP(w, r)
			return
		}
		if _, err := r.Cookie(interceptor.SessionCookie); err != nil {
			next.ServeHTTP(w, r)
			return
		}
		if site := r.Header.Get("Sec-Fetch-Site"); site == "cross-site" || site == "same-site" {
			refuseCrossSite(w)
			return
		}
		if origin := r.Header.Get("Origin"); origin != "" && !sameHost(origin, r.Host) {
			refuseCrossSite(w)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func sameHost(origin, host string) bool {
	u, err := url.Parse(origin)
	if err != nil {
		return false
	}
	return strings.EqualFold(u.Host, host)
}

func refuseCrossSite(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusForbidden)
	_, _ = w.Write([]byte(`{"code":"permission_denied","message":"cross-site request refused (CROSS_SITE_REQUEST)"}` + "\n"))
}

func tlsConfig(cert tls.Certificate) *tls.Config {
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   tls.VersionTLS12,
		NextProtos:   []string{"h2", "http/1.1"},
	}
}

package cms

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// DefaultPort is the Web Admin port assumed when the address names none.
const DefaultPort = 443

// splitAddress turns what an administrator typed (a name, an IPv4
// address, an IPv6 address with or without brackets, any of them with a
// port, or a full https:// URL) into the bare host used for certificate
// name checks and the host:port to dial.
func splitAddress(addr string, port int) (host, hostport string, err error) {
	addr = strings.TrimSpace(addr)
	if addr == "" {
		return "", "", fmt.Errorf("cms: empty server address")
	}
	p := ""
	switch {
	case strings.Contains(addr, "://"):
		u, err := url.Parse(addr)
		if err != nil {
			return "", "", fmt.Errorf("cms: server address %q: %w", addr, err)
		}
		if u.Scheme != "https" {
			return "", "", fmt.Errorf("cms: server address %q: only https is supported", addr)
		}
		if u.Path != "" && u.Path != "/" {
			return "", "", fmt.Errorf("cms: server address %q: give the host and port only, not a path", addr)
		}
		host, p = u.Hostname(), u.Port()
	case strings.HasPrefix(addr, "["):
		if strings.HasSuffix(addr, "]") {
			host = addr[1 : len(addr)-1]
		} else if host, p, err = net.SplitHostPort(addr); err != nil {
			return "", "", fmt.Errorf("cms: server address %q: %w", addr, err)
		}
	case strings.Count(addr, ":") >= 2:
		host = addr // a bare IPv6 address: no room for a port without brackets
	case strings.Contains(addr, ":"):
		if host, p, err = net.SplitHostPort(addr); err != nil {
			return "", "", fmt.Errorf("cms: server address %q: %w", addr, err)
		}
	default:
		host = addr
	}
	if host == "" {
		return "", "", fmt.Errorf("cms: server address %q has no host", addr)
	}
	if strings.ContainsAny(host, "/?#@ ") {
		return "", "", fmt.Errorf("cms: server address %q is not a host name or IP address", addr)
	}
	if strings.Contains(host, ":") && net.ParseIP(host) == nil {
		return "", "", fmt.Errorf("cms: server address %q is not a valid IPv6 address", addr)
	}
	if p == "" {
		if port == 0 {
			port = DefaultPort
		}
		p = strconv.Itoa(port)
	} else if port != 0 && p != strconv.Itoa(port) {
		return "", "", fmt.Errorf("cms: server address %q names port %s but port %d is configured", addr, p, port)
	}
	if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
		return "", "", fmt.Errorf("cms: server address %q: bad port %q", addr, p)
	}
	return host, net.JoinHostPort(host, p), nil
}

package servers

import (
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/switchboardhq/switchboard/server/platform/errs"
)

// normaliseAddress checks a bridge address (SV-06): a host name, an IPv4
// address, or an IPv6 address in brackets. It returns it in lower case.
func normaliseAddress(field, a string) (string, error) {
	a = strings.ToLower(strings.TrimSpace(a))
	if a == "" {
		return "", errs.Invalid(field, "give the bridge's address or FQDN")
	}
	if strings.Contains(a, "://") || strings.ContainsAny(a, "/?# ") {
		return "", errs.Invalid(field, "give only the host name or address, without scheme or path")
	}
	if strings.HasPrefix(a, "[") {
		if !strings.HasSuffix(a, "]") || net.ParseIP(a[1:len(a)-1]) == nil || !strings.Contains(a, ":") {
			return "", errs.Invalid(field, "not a valid IPv6 address in brackets")
		}
		return a, nil
	}
	if strings.Count(a, ":") > 1 {
		return "", errs.Invalid(field, "write an IPv6 address in square brackets, e.g. [2001:db8::10]")
	}
	if strings.Contains(a, ":") {
		return "", errs.Invalid(field, "give the port in the port field")
	}
	if net.ParseIP(a) != nil {
		return a, nil
	}
	for _, label := range strings.Split(strings.TrimSuffix(a, "."), ".") {
		if label == "" || len(label) > 63 || strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-") {
			return "", errs.Invalid(field, "not a valid host name")
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return "", errs.Invalid(field, "not a valid host name")
			}
		}
	}
	return a, nil
}

// hostPort joins an address (brackets included for IPv6) and a port.
func hostPort(addr string, port int) string {
	return net.JoinHostPort(strings.Trim(addr, "[]"), strconv.Itoa(port))
}

// splitPeerURL splits a peer's reported API address (https://host:port,
// or host[:port]) into address and port.
func splitPeerURL(raw string) (string, int) {
	if raw == "" {
		return "", 0
	}
	if !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", 0
	}
	host := u.Hostname()
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	port := 443
	if p, err := strconv.Atoi(u.Port()); err == nil {
		port = p
	}
	return strings.ToLower(host), port
}

// normaliseReceiverAddress checks the CDR receiver address (ST-16): a host
// with an optional port; IPv6 in brackets. It returns warnings (ST-15).
func normaliseReceiverAddress(a string) (string, []string, error) {
	a = strings.ToLower(strings.TrimSpace(a))
	if a == "" {
		return "", nil, nil
	}
	host, port := a, ""
	if strings.HasPrefix(a, "[") {
		i := strings.Index(a, "]")
		if i < 0 {
			return "", nil, errs.Invalid("address", "not a valid IPv6 address in brackets")
		}
		host, port = a[:i+1], strings.TrimPrefix(a[i+1:], ":")
		if a[i+1:] != "" && !strings.HasPrefix(a[i+1:], ":") {
			return "", nil, errs.Invalid("address", "give host[:port]")
		}
	} else if strings.Count(a, ":") == 1 {
		host, port, _ = strings.Cut(a, ":")
	}
	if _, err := normaliseAddress("address", host); err != nil {
		return "", nil, err
	}
	if port != "" {
		p, err := strconv.Atoi(port)
		if err != nil || p < 1 || p > 65535 {
			return "", nil, errs.Invalid("address", "the port must be between 1 and 65535")
		}
	}
	var warnings []string
	if net.ParseIP(strings.Trim(host, "[]")) != nil {
		warnings = append(warnings, "an FQDN is recommended: bridges must reach this address, and an IP address ties them to today's network")
	}
	return a, warnings, nil
}

package users

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/switchboardhq/switchboard/server/auth"
	"github.com/switchboardhq/switchboard/server/platform/crl"
	"github.com/switchboardhq/switchboard/server/platform/errs"
	"github.com/switchboardhq/switchboard/server/platform/principal"
)

func itoa(n int) string { return strconv.Itoa(n) }

// Pool sizes: at most maxOpen connections at a time (so a hanging
// directory ties up a bounded number of sockets and goroutines), of which
// maxIdle are kept between sign-ins.
const (
	maxOpen = 8
	maxIdle = 4
)

// Bounds on directory walks.
const (
	maxNestingDepth = 8
	maxGroups       = 1000
	maxMembers      = 5000
	filterBatch     = 20
)

// opError is a directory failure classified for a connection test and for
// logs.
type opError struct {
	result TestResult
	err    error
}

func (e *opError) Error() string {
	switch e.result {
	case TestUnreachable:
		return "the directory cannot be reached: " + e.err.Error()
	case TestTimeout:
		return "the directory did not answer in time: " + e.err.Error()
	case TestTLSFailure:
		return "TLS failed: " + e.err.Error()
	case TestBindRefused:
		return "the directory refused the bind DN or password: " + e.err.Error()
	}
	return e.err.Error()
}

func (e *opError) Unwrap() error { return e.err }

// classify names a failure; fallback is used for errors that are neither
// timeouts nor TLS failures.
func classify(err error, fallback TestResult) *opError {
	var oe *opError
	if errors.As(err, &oe) {
		return oe
	}
	var ne net.Error
	msg := err.Error()
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, context.DeadlineExceeded),
		errors.As(err, &ne) && ne.Timeout(), strings.Contains(msg, "timed out"), strings.Contains(msg, "i/o timeout"):
		return &opError{TestTimeout, err}
	case isTLSError(err):
		return &opError{TestTLSFailure, err}
	}
	return &opError{fallback, err}
}

func isTLSError(err error) bool {
	var (
		unknownAuthority x509.UnknownAuthorityError
		hostname         x509.HostnameError
		invalid          x509.CertificateInvalidError
		verify           *tls.CertificateVerificationError
		alert            tls.AlertError
		record           tls.RecordHeaderError
	)
	return errors.As(err, &unknownAuthority) || errors.As(err, &hostname) || errors.As(err, &invalid) ||
		errors.As(err, &verify) || errors.As(err, &alert) || errors.As(err, &record) ||
		strings.Contains(err.Error(), "TLS handshake failed") || strings.Contains(err.Error(), "tls:")
}

// unavailable is the sign-in error when the directory cannot answer.
func unavailable(err error) error {
	return errs.Wrap(err, errs.Unavailable, errs.ReasonUnavailable,
		"the sign-in directory cannot be reached; try again, or sign in with a local account")
}

// conn is one directory connection with its raw socket, on which the
// deadline of the current operation is set.
type conn struct {
	l   *ldap.Conn
	raw net.Conn
	key string
}

func (c *conn) close() { _ = c.l.Close() }

func (c *conn) search(req *ldap.SearchRequest) (*ldap.SearchResult, error) { return c.l.Search(req) }

func tlsConfig(cfg DirectorySettings, timeout time.Duration) *tls.Config {
	tc := &tls.Config{ServerName: cfg.Address, MinVersion: tls.VersionTLS12}
	if cfg.CACertificatesPEM != "" {
		roots := x509.NewCertPool()
		roots.AppendCertsFromPEM([]byte(cfg.CACertificatesPEM))
		tc.RootCAs = roots
	}
	if cfg.CheckCRL {
		tc.VerifyConnection = crl.Checker{Client: &httpClientWithTimeout}.VerifyConnection(timeout)
	}
	return tc
}

// dial opens a connection and binds as the service account (or stays
// anonymous without a bind DN). The whole set-up, TLS included, must finish
// within the timeout.
func dial(ctx context.Context, cfg DirectorySettings, password string) (*conn, error) {
	timeout := cfg.timeout()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	d := net.Dialer{Timeout: timeout}
	raw, err := d.DialContext(ctx, "tcp", cfg.hostPort())
	if err != nil {
		return nil, classify(err, TestUnreachable)
	}
	deadline, _ := ctx.Deadline()
	_ = raw.SetDeadline(deadline)
	var nc net.Conn = raw
	if cfg.Security == SecurityLDAPS {
		tc := tls.Client(raw, tlsConfig(cfg, timeout))
		if err := tc.HandshakeContext(ctx); err != nil {
			raw.Close()
			if errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
				return nil, &opError{TestTimeout, err}
			}
			return nil, &opError{TestTLSFailure, err}
		}
		nc = tc
	}
	l := ldap.NewConn(nc, cfg.Security == SecurityLDAPS)
	l.Start()
	l.SetTimeout(timeout)
	c := &conn{l: l, raw: raw}
	if cfg.Security == SecurityStartTLS {
		if err := l.StartTLS(tlsConfig(cfg, timeout)); err != nil {
			c.close()
			if strings.Contains(err.Error(), "TLS handshake failed") {
				if strings.Contains(err.Error(), "timeout") {
					return nil, &opError{TestTimeout, err}
				}
				return nil, &opError{TestTLSFailure, err}
			}
			return nil, classify(err, TestTLSFailure)
		}
	}
	if cfg.BindDN != "" {
		if err := l.Bind(cfg.BindDN, password); err != nil {
			c.close()
			if ldap.IsErrorWithCode(err, ldap.LDAPResultInvalidCredentials) ||
				ldap.IsErrorWithCode(err, ldap.LDAPResultInappropriateAuthentication) ||
				ldap.IsErrorWithCode(err, ldap.LDAPResultInsufficientAccessRights) ||
				ldap.IsErrorWithCode(err, ldap.LDAPResultUnwillingToPerform) {
				return nil, &opError{TestBindRefused, err}
			}
			return nil, classify(err, TestUnreachable)
		}
	}
	_ = raw.SetDeadline(time.Time{})
	return c, nil
}

// pool keeps service-bound connections of the current configuration.
type pool struct {
	mu   sync.Mutex
	key  string
	idle []*conn
	sem  chan struct{}
}

func newPool() *pool { return &pool{sem: make(chan struct{}, maxOpen)} }

// reset closes idle connections, after a settings change.
func (p *pool) reset() {
	p.mu.Lock()
	idle := p.idle
	p.idle, p.key = nil, ""
	p.mu.Unlock()
	for _, c := range idle {
		c.close()
	}
}

// get returns a connection for cfg with the deadline of the operation set
// on its socket. Waiting for a free slot counts against the deadline.
func (p *pool) get(ctx context.Context, cfg DirectorySettings, password string) (*conn, error) {
	select {
	case p.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, &opError{TestTimeout, errors.New("all directory connections are busy")}
	}
	key := configKey(cfg, password)
	p.mu.Lock()
	if p.key != key {
		for _, c := range p.idle {
			go c.close()
		}
		p.idle, p.key = nil, key
	}
	var c *conn
	for len(p.idle) > 0 && c == nil {
		c, p.idle = p.idle[len(p.idle)-1], p.idle[:len(p.idle)-1]
		if c.l.IsClosing() {
			c.close()
			c = nil
		}
	}
	p.mu.Unlock()
	if c == nil {
		var err error
		if c, err = dial(ctx, cfg, password); err != nil {
			<-p.sem
			return nil, err
		}
		c.key = key
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(cfg.timeout())
	}
	_ = c.raw.SetDeadline(deadline)
	return c, nil
}

// put returns a connection; a broken one (or one of an old configuration)
// is closed instead.
func (p *pool) put(c *conn, healthy bool) {
	defer func() { <-p.sem }()
	_ = c.raw.SetDeadline(time.Time{})
	p.mu.Lock()
	if healthy && !c.l.IsClosing() && c.key == p.key && len(p.idle) < maxIdle {
		p.idle = append(p.idle, c)
		c = nil
	}
	p.mu.Unlock()
	if c != nil {
		c.close()
	}
}

// session runs fn on a pooled connection within the configured timeout.
// fn reports whether the connection may be reused.
func (d *Directory) session(ctx context.Context, fn func(cfg DirectorySettings, c *conn) (reusable bool, err error)) error {
	cfg, password, ok, err := d.load(ctx)
	if err != nil {
		return err
	}
	if !ok || !cfg.Enabled {
		return errNotConfigured
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout())
	defer cancel()
	c, err := d.pool.get(ctx, cfg, password)
	if err != nil {
		return err
	}
	reusable, err := fn(cfg, c)
	d.pool.put(c, reusable)
	return err
}

var errNotConfigured = errors.New("users: no sign-in directory is enabled")

func isLDAPResult(err error) bool {
	var le *ldap.Error
	return errors.As(err, &le) && le.ResultCode != ldap.ErrorNetwork && le.ResultCode < 1000
}

// UserFilter is the search filter for a typed username: an equality match
// on the configured attribute, spelled exactly as configured (AU-32), with
// the value escaped so that it cannot change the filter.
func UserFilter(attribute, username string) string {
	return "(" + attribute + "=" + ldap.EscapeFilter(username) + ")"
}

func memberFilter(dns []string) string {
	var b strings.Builder
	b.WriteString("(|")
	for _, dn := range dns {
		v := ldap.EscapeFilter(dn)
		b.WriteString("(member=" + v + ")(uniqueMember=" + v + ")")
	}
	b.WriteString(")")
	return b.String()
}

// Authenticate implements auth.Authenticator for the sign-in directory
// (AU-39…AU-41): find the user by the username attribute, bind as the
// user, then evaluate group membership, nested groups included, against
// the mapped groups. Administrator wins when groups disagree (AU-09).
func (d *Directory) Authenticate(ctx context.Context, username, password string) (*auth.Identity, error) {
	groups, err := d.mappedGroups(ctx)
	if err != nil {
		return nil, err
	}
	if len(groups) == 0 {
		return nil, auth.ErrUnknownUser // nobody may sign in through the directory
	}
	var id *auth.Identity
	err = d.session(ctx, func(cfg DirectorySettings, c *conn) (bool, error) {
		res, err := c.search(ldap.NewSearchRequest(cfg.BaseDN, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 2, 0, false,
			UserFilter(cfg.UsernameAttribute, username),
			[]string{cfg.UsernameAttribute, "displayName", "cn", "givenName", "sn", "memberOf"}, nil))
		if err != nil {
			if ldap.IsErrorWithCode(err, ldap.LDAPResultNoSuchObject) {
				return true, auth.ErrUnknownUser
			}
			if ldap.IsErrorWithCode(err, ldap.LDAPResultSizeLimitExceeded) {
				d.log.WarnContext(ctx, "directory sign-in: the username matches several entries", slog.String("username", username))
				return true, auth.ErrInvalidCredentials
			}
			return false, err
		}
		switch len(res.Entries) {
		case 0:
			return true, auth.ErrUnknownUser
		case 1:
		default:
			d.log.WarnContext(ctx, "directory sign-in: the username matches several entries", slog.String("username", username))
			return true, auth.ErrInvalidCredentials
		}
		entry := res.Entries[0]
		id = &auth.Identity{Username: username, Source: principal.SourceLDAP, DisplayName: entryName(entry)}
		if v := entry.GetEqualFoldAttributeValue(cfg.UsernameAttribute); v != "" {
			id.Username = v
		}
		if id.DisplayName == "" {
			id.DisplayName = id.Username
		}
		if err := c.l.Bind(entry.DN, password); err != nil {
			if ldap.IsErrorWithCode(err, ldap.LDAPResultInvalidCredentials) {
				return d.rebind(cfg, c), auth.ErrInvalidCredentials
			}
			return false, err
		}
		reusable := d.rebind(cfg, c)
		member, err := d.memberships(c, cfg, entry)
		if err != nil {
			return false, err
		}
		role, ok := roleFor(groups, member)
		if !ok {
			return reusable, auth.ErrInvalidCredentials
		}
		id.Role = role
		return reusable, nil
	})
	switch {
	case errors.Is(err, errNotConfigured), errors.Is(err, auth.ErrUnknownUser):
		return nil, auth.ErrUnknownUser
	case errors.Is(err, auth.ErrInvalidCredentials):
		return id, auth.ErrInvalidCredentials
	case err != nil:
		d.log.WarnContext(ctx, "directory sign-in failed", slog.String("username", username), slog.Any("error", err))
		return nil, unavailable(err)
	}
	return id, nil
}

// rebind returns a connection to the service identity after a user bind,
// and reports whether it may be pooled.
func (d *Directory) rebind(cfg DirectorySettings, c *conn) bool {
	if cfg.BindDN == "" {
		return false // an anonymous connection cannot go back to anonymous reliably
	}
	_, password, _, err := d.load(context.Background())
	if err != nil {
		return false
	}
	return c.l.Bind(cfg.BindDN, password) == nil
}

func entryName(e *ldap.Entry) string {
	if v := e.GetEqualFoldAttributeValue("displayName"); v != "" {
		return v
	}
	if v := e.GetEqualFoldAttributeValue("cn"); v != "" {
		return v
	}
	return strings.TrimSpace(e.GetEqualFoldAttributeValue("givenName") + " " + e.GetEqualFoldAttributeValue("sn"))
}

// memberships returns the DNs of every group the entry belongs to,
// directly or through nested groups: memberOf values, and groups whose
// member or uniqueMember holds the entry or one of its groups.
func (d *Directory) memberships(c *conn, cfg DirectorySettings, entry *ldap.Entry) ([]*ldap.DN, error) {
	seen := map[string]bool{}
	var out []*ldap.DN
	add := func(dn string) bool {
		parsed, err := ldap.ParseDN(dn)
		if err != nil {
			return false
		}
		key := dnKey(parsed)
		if seen[key] {
			return false
		}
		seen[key] = true
		out = append(out, parsed)
		return true
	}
	frontier := []string{entry.DN}
	seen[mustKey(entry.DN)] = true
	for _, g := range entry.GetEqualFoldAttributeValues("memberOf") {
		if add(g) {
			frontier = append(frontier, g)
		}
	}
	for depth := 0; depth < maxNestingDepth && len(frontier) > 0 && len(out) < maxGroups; depth++ {
		var next []string
		for start := 0; start < len(frontier); start += filterBatch {
			batch := frontier[start:min(start+filterBatch, len(frontier))]
			res, err := c.search(ldap.NewSearchRequest(cfg.groupBase(), ldap.ScopeWholeSubtree, ldap.NeverDerefAliases,
				maxGroups, 0, false, memberFilter(batch), []string{"memberOf"}, nil))
			if err != nil && !ldap.IsErrorWithCode(err, ldap.LDAPResultSizeLimitExceeded) &&
				!ldap.IsErrorWithCode(err, ldap.LDAPResultNoSuchObject) {
				return nil, err
			}
			if res == nil {
				continue
			}
			for _, e := range res.Entries {
				if add(e.DN) {
					next = append(next, e.DN)
				}
				for _, g := range e.GetEqualFoldAttributeValues("memberOf") {
					if add(g) {
						next = append(next, g)
					}
				}
			}
		}
		frontier = next
	}
	return out, nil
}

type mappedGroup struct {
	dn   *ldap.DN
	role principal.Role
}

func (d *Directory) mappedGroups(ctx context.Context) ([]mappedGroup, error) {
	rows, err := d.db.LdapGroup.Query().All(ctx)
	if err != nil {
		return nil, err
	}
	var out []mappedGroup
	for _, r := range rows {
		dn, err := ldap.ParseDN(r.Dn)
		if err != nil {
			continue
		}
		out = append(out, mappedGroup{dn: dn, role: principal.Role(r.Role)})
	}
	return out, nil
}

// roleFor returns the role of a user in the given groups: Administrator if
// any mapped group says so (AU-09), else Video operator, else none.
func roleFor(groups []mappedGroup, member []*ldap.DN) (principal.Role, bool) {
	var role principal.Role
	for _, g := range groups {
		for _, m := range member {
			if g.dn.EqualFold(m) {
				if g.role == principal.RoleAdministrator {
					return g.role, true
				}
				role = g.role
			}
		}
	}
	return role, role != ""
}

// GroupCheck is the result of CheckGroup.
type GroupCheck struct {
	Found             bool
	DirectMemberCount int
}

var groupClasses = []string{"groupOfNames", "groupOfUniqueNames", "group", "posixGroup", "groupOfURLs", "groupOfMembers"}

func isGroup(e *ldap.Entry) bool {
	if len(e.GetEqualFoldAttributeValues("member")) > 0 || len(e.GetEqualFoldAttributeValues("uniqueMember")) > 0 {
		return true
	}
	for _, oc := range e.GetEqualFoldAttributeValues("objectClass") {
		for _, g := range groupClasses {
			if strings.EqualFold(oc, g) {
				return true
			}
		}
	}
	return false
}

func directoryError(err error) error {
	if errors.Is(err, errNotConfigured) {
		return errs.New(errs.FailedPrecondition, errs.ReasonFailedPrecondition, "no sign-in directory is enabled")
	}
	if _, ok := errs.From(err); ok {
		return err
	}
	oe := classify(err, TestUnreachable)
	return errs.Wrap(err, errs.Unavailable, errs.ReasonUnavailable, "%s", oe.Error())
}

// CheckGroup looks a group DN up in the directory (AU-35).
func (d *Directory) CheckGroup(ctx context.Context, dn string) (GroupCheck, error) {
	if _, err := ldap.ParseDN(dn); err != nil {
		return GroupCheck{}, errs.Invalid("dn", "is not a valid distinguished name")
	}
	var out GroupCheck
	err := d.session(ctx, func(cfg DirectorySettings, c *conn) (bool, error) {
		e, err := readEntry(c, dn, "objectClass", "member", "uniqueMember")
		if err != nil || e == nil {
			return err == nil || isLDAPResult(err), err
		}
		out.Found = isGroup(e)
		if out.Found {
			out.DirectMemberCount = len(e.GetEqualFoldAttributeValues("member")) + len(e.GetEqualFoldAttributeValues("uniqueMember"))
		}
		return true, nil
	})
	if err != nil {
		return GroupCheck{}, directoryError(err)
	}
	return out, nil
}

// readEntry reads one entry, or nil when it does not exist.
func readEntry(c *conn, dn string, attrs ...string) (*ldap.Entry, error) {
	res, err := c.search(ldap.NewSearchRequest(dn, ldap.ScopeBaseObject, ldap.NeverDerefAliases, 1, 0, false,
		"(objectClass=*)", attrs, nil))
	if ldap.IsErrorWithCode(err, ldap.LDAPResultNoSuchObject) || ldap.IsErrorWithCode(err, ldap.LDAPResultInvalidDNSyntax) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if len(res.Entries) == 0 {
		return nil, nil
	}
	return res.Entries[0], nil
}

// GroupMember is a user found in a group.
type GroupMember struct {
	Username    string
	DisplayName string
	DN          string
}

// GroupMembers is one page of ListGroupMembers.
type GroupMembers struct {
	Members       []GroupMember
	NextPageToken string
	Total         int
	Truncated     bool
}

// ListGroupMembers lists the users of a group, nested groups included, in
// username order (AU-36).
func (d *Directory) ListGroupMembers(ctx context.Context, dn string, pageSize int, pageToken string) (GroupMembers, error) {
	if _, err := ldap.ParseDN(dn); err != nil {
		return GroupMembers{}, errs.Invalid("dn", "is not a valid distinguished name")
	}
	offset, err := offsetCursor(membersKind(dn), pageToken)
	if err != nil {
		return GroupMembers{}, err
	}
	var all []GroupMember
	truncated := false
	err = d.session(ctx, func(cfg DirectorySettings, c *conn) (bool, error) {
		seen := map[string]bool{mustKey(dn): true}
		queue := []string{dn}
		reads := 0
		for len(queue) > 0 {
			g := queue[0]
			queue = queue[1:]
			e, err := readEntry(c, g, "member", "uniqueMember")
			if err != nil {
				return false, err
			}
			if e == nil {
				continue
			}
			for _, m := range append(e.GetEqualFoldAttributeValues("member"), e.GetEqualFoldAttributeValues("uniqueMember")...) {
				m, _, _ = strings.Cut(m, "#") // uniqueMember may carry a #'B' UID
				k := mustKey(m)
				if k == "" || seen[k] {
					continue
				}
				seen[k] = true
				if reads++; reads > maxMembers {
					truncated = true
					return true, nil
				}
				me, err := readEntry(c, m, cfg.UsernameAttribute, "displayName", "cn", "givenName", "sn", "objectClass", "member", "uniqueMember")
				if err != nil {
					return false, err
				}
				switch {
				case me == nil:
				case isGroup(me):
					queue = append(queue, m)
				default:
					if u := me.GetEqualFoldAttributeValue(cfg.UsernameAttribute); u != "" {
						all = append(all, GroupMember{Username: u, DisplayName: entryName(me), DN: me.DN})
					}
				}
			}
		}
		return true, nil
	})
	if err != nil {
		return GroupMembers{}, directoryError(err)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Username < all[j].Username })
	out := GroupMembers{Total: len(all), Truncated: truncated}
	size := pageSizeOf(pageSize)
	if offset > len(all) {
		offset = len(all)
	}
	end := min(offset+size, len(all))
	out.Members = all[offset:end]
	if end < len(all) {
		out.NextPageToken = offsetToken(membersKind(dn), end)
	}
	return out, nil
}

// dnKey is a DN normalised for comparison: attribute types and values
// folded to lower case, RDN components sorted, special characters escaped.
func dnKey(dn *ldap.DN) string {
	var b strings.Builder
	for i, rdn := range dn.RDNs {
		if i > 0 {
			b.WriteByte(',')
		}
		parts := make([]string, 0, len(rdn.Attributes))
		for _, a := range rdn.Attributes {
			parts = append(parts, strings.ToLower(a.Type)+"="+escapeDNValue(strings.ToLower(a.Value)))
		}
		sort.Strings(parts)
		b.WriteString(strings.Join(parts, "+"))
	}
	return b.String()
}

// attributeType is an attribute description in a DN: a name or a
// numeric OID (RFC 4512 section 1.4).
var attributeType = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9-]*|[0-9]+(\.[0-9]+)*)$`)

// NormalizeDN parses a DN and returns its comparison key. It refuses what
// the lenient parser lets through but no directory accepts: an empty DN
// and attribute types that are neither names nor OIDs.
func NormalizeDN(dn string) (string, error) {
	parsed, err := ldap.ParseDN(dn)
	if err != nil {
		return "", err
	}
	if len(parsed.RDNs) == 0 {
		return "", fmt.Errorf("empty DN")
	}
	for _, rdn := range parsed.RDNs {
		if len(rdn.Attributes) == 0 {
			return "", fmt.Errorf("empty RDN")
		}
		for _, a := range rdn.Attributes {
			if !attributeType.MatchString(a.Type) {
				return "", fmt.Errorf("invalid attribute type %q", a.Type)
			}
		}
	}
	return dnKey(parsed), nil
}

func mustKey(dn string) string {
	k, _ := NormalizeDN(dn)
	return k
}

// escapeDNValue escapes a value for a DN string (RFC 4514 section 2.4).
func escapeDNValue(v string) string {
	var b strings.Builder
	for i, r := range v {
		switch {
		case strings.ContainsRune(`,+"\<>;=`, r),
			(r == '#' || r == ' ') && i == 0,
			r == ' ' && i == len(v)-1:
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == 0:
			b.WriteString(`\00`)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

var httpClientWithTimeout = httpClient()

// membersKind ties a member page token to its group.
func membersKind(dn string) string {
	h := fnv.New64a()
	h.Write([]byte(mustKey(dn)))
	return "group_members:" + strconv.FormatUint(h.Sum64(), 36)
}

package cms

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"
)

// Config says how to reach and trust one Call Bridge.
type Config struct {
	// Address is the bridge's Web Admin address: a host name, an IPv4
	// address, an IPv6 address (brackets optional), optionally with
	// ":port", or "https://host:port".
	Address string
	// Port is used when Address names no port; zero means 443.
	Port int
	// Username and Password are the API account's credentials (an MMP
	// user with the api role is enough).
	Username, Password string

	// TrustedChain, when set, is the PEM chain the bridge's certificate
	// must verify against (and match Address). When empty the connection
	// is encrypted but not verified, and TLSVerified reports false.
	TrustedChain []byte
	// CRL, when set, checks every certificate of the verified chain (but
	// the anchor) against its HTTP CRL distribution point, rejecting the
	// connection when one is revoked, has no HTTP distribution point, or
	// its CRL cannot be fetched. It needs TrustedChain.
	CRL *CRLChecker
	// CipherSuites restricts the TLS 1.2 cipher suites (TLS 1.3 suites are
	// not configurable in Go). Nil means Go's defaults.
	CipherSuites []uint16

	// Timeout bounds each attempt of a request. Zero means 30 s.
	Timeout time.Duration
	// Retry shapes retries; the zero value means the defaults.
	Retry Retry
	// Sleep waits between attempts and returns early with ctx's error.
	// Nil means a real timer; tests inject one that does not sleep.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock for certificate validity. Nil means time.Now.
	Now func() time.Time
	// MaxReplyBytes bounds a reply body. Zero means 64 MiB.
	MaxReplyBytes int64
}

// Retry is the retry policy. GETs are retried on transport errors and on
// 502, 503 and 504; any method is retried on 503 (the bridge did not
// apply it) and on a failed dial (nothing was sent).
type Retry struct {
	// Attempts is the total number of attempts, the first included. Zero
	// means 4; 1 disables retries.
	Attempts int
	// Base is the wait before the second attempt; it doubles each time.
	// Zero means 200 ms.
	Base time.Duration
	// Max caps a single wait, a Retry-After header included. Zero means
	// 5 s.
	Max time.Duration
}

// Delay returns the wait before attempt n+1 (n ≥ 1): Base·2^(n-1) capped at
// Max, with jitter in its upper half so that clients restarted together do
// not retry in step.
func (r Retry) Delay(n int) time.Duration {
	d := r.Base
	for i := 1; i < n && d < r.Max; i++ {
		d *= 2
	}
	d = min(d, r.Max)
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2+1)
}

func (r Retry) withDefaults() Retry {
	if r.Attempts <= 0 {
		r.Attempts = 4
	}
	if r.Base <= 0 {
		r.Base = 200 * time.Millisecond
	}
	if r.Max <= 0 {
		r.Max = 5 * time.Second
	}
	if r.Max < r.Base {
		r.Max = r.Base
	}
	return r
}

// Client talks to one Call Bridge. It is safe for concurrent use.
type Client struct {
	host, hostport string
	base           string // "https://host:port"
	user, pass     string
	verified       bool
	hc             *http.Client
	timeout        time.Duration
	retry          Retry
	sleep          func(context.Context, time.Duration) error
	maxReply       int64
}

// New returns a client for the bridge described by cfg. It contacts
// nothing; call SystemStatus to check the address, trust and credentials.
func New(cfg Config) (*Client, error) {
	host, hostport, err := splitAddress(cfg.Address, cfg.Port)
	if err != nil {
		return nil, err
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	tc := &tls.Config{
		MinVersion:   tls.VersionTLS12,
		CipherSuites: cfg.CipherSuites,
		// Verification happens in VerifyConnection (or deliberately not at
		// all without a trusted chain), where each failure keeps its kind.
		InsecureSkipVerify: true,
		Time:               now,
	}
	if net.ParseIP(host) == nil {
		tc.ServerName = host
	}
	verified := len(cfg.TrustedChain) > 0
	if verified {
		chain, err := ParseTrustedChain(cfg.TrustedChain)
		if err != nil {
			return nil, err
		}
		tc.VerifyConnection = newVerifier(host, chain, cfg.CRL, now).verifyConnection
	} else if cfg.CRL != nil {
		return nil, errors.New("cms: CRL checking needs a trusted chain")
	}
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		DialContext:           dialer.DialContext,
		TLSClientConfig:       tc,
		TLSHandshakeTimeout:   15 * time.Second,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
		ResponseHeaderTimeout: 0, // the per-attempt context bounds the whole request
	}
	c := &Client{
		host:     host,
		hostport: hostport,
		base:     "https://" + hostport,
		user:     cfg.Username,
		pass:     cfg.Password,
		verified: verified,
		hc: &http.Client{
			Transport: tr,
			// A Call Bridge never redirects an API call; a redirect means a
			// login page or some other web server.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		timeout:  cfg.Timeout,
		retry:    cfg.Retry.withDefaults(),
		sleep:    cfg.Sleep,
		maxReply: cfg.MaxReplyBytes,
	}
	if c.timeout <= 0 {
		c.timeout = 30 * time.Second
	}
	if c.sleep == nil {
		c.sleep = sleepCtx
	}
	if c.maxReply <= 0 {
		c.maxReply = 64 << 20
	}
	return c, nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// TLSVerified reports whether the bridge's certificate is verified against
// a trusted chain; false means encrypted but unauthenticated.
func (c *Client) TLSVerified() bool { return c.verified }

// Addr returns the host:port the client talks to.
func (c *Client) Addr() string { return c.hostport }

// BaseURL returns "https://host:port", the root of the API (/api/v1) and of
// the Events API (/events/v1).
func (c *Client) BaseURL() string { return c.base }

// HTTPClient returns the client's HTTP client, with the bridge's TLS trust
// and no redirects, for the Events websocket. It has no overall timeout;
// bound its requests with a context.
func (c *Client) HTTPClient() *http.Client { return c.hc }

// Close releases idle connections.
func (c *Client) Close() { c.hc.CloseIdleConnections() }

// reply is a successful HTTP exchange.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// apiPath turns "coSpaces/x" into "/api/v1/coSpaces/x".
func apiPath(p string) string { return "/api/v1/" + strings.TrimPrefix(p, "/") }

// do sends one API request with retries and returns the 2xx reply, or an
// *APIError, *ConnError or transport error.
func (c *Client) do(ctx context.Context, method, p string, query url.Values, form *Form) (*reply, error) {
	var body string
	if form != nil {
		body = form.Encode()
	}
	for attempt := 1; ; attempt++ {
		r, err := c.once(ctx, method, p, query, form != nil, body)
		if err == nil {
			return r, nil
		}
		if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
			// The caller gave up while the reply was in flight; what was
			// read of it (often a cut-off body) is a symptom, not the cause.
			return nil, fmt.Errorf("%s %s: %w (%v)", method, p, cerr, err)
		}
		d := c.retry.Delay(attempt)
		var ra *retryAfterError
		if errors.As(err, &ra) {
			if ra.after > 0 {
				d = min(ra.after, c.retry.Max)
			}
			err = ra.error // callers see the *APIError itself
		}
		if attempt >= c.retry.Attempts || !retryable(method, err) || ctx.Err() != nil {
			return nil, err
		}
		if serr := c.sleep(ctx, d); serr != nil {
			return nil, fmt.Errorf("%w (gave up waiting to retry: %w)", err, serr)
		}
	}
}

// retryAfterError carries a Retry-After header alongside the error.
type retryAfterError struct {
	error
	after time.Duration
}

func (e *retryAfterError) Unwrap() error { return e.error }

// retryable says whether err may be retried for method; see Retry.
func retryable(method string, err error) bool {
	var ae *APIError
	if errors.As(err, &ae) {
		switch ae.Status {
		case http.StatusServiceUnavailable:
			return true
		case http.StatusBadGateway, http.StatusGatewayTimeout:
			return method == http.MethodGet
		}
		return false
	}
	var ce *ConnError
	if errors.As(err, &ce) {
		if ce.Kind != KindUnreachable {
			return false // certificates, credentials and identity do not fix themselves
		}
		if method == http.MethodGet {
			return true
		}
		var op *net.OpError
		return errors.As(err, &op) && op.Op == "dial"
	}
	if errors.Is(err, context.Canceled) {
		return false
	}
	var de *DecodeError
	if errors.As(err, &de) {
		return false
	}
	return method == http.MethodGet
}

func (c *Client) once(ctx context.Context, method, p string, query url.Values, hasBody bool, body string) (*reply, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	u := c.base + apiPath(p)
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var rd io.Reader
	if hasBody {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, fmt.Errorf("cms: %s %s: %w", method, p, err)
	}
	req.SetBasicAuth(c.user, c.pass)
	req.Header.Set("Accept", "text/xml, application/xml")
	if hasBody {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, c.classify(method, p, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, c.maxReply+1))
	if err != nil {
		return nil, fmt.Errorf("cms: %s %s: reading reply: %w", method, p, err)
	}
	if int64(len(b)) > c.maxReply {
		return nil, &DecodeError{Method: method, Path: p, Err: fmt.Errorf("reply larger than %d bytes", c.maxReply)}
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return &reply{status: resp.StatusCode, header: resp.Header, body: b}, nil
	}
	ae := parseFailure(method, p, resp.StatusCode, b)
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		return nil, &ConnError{Kind: KindBadCredentials, Addr: c.hostport, Err: ae}
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		return nil, &ConnError{Kind: KindNotCallBridge, Addr: c.hostport,
			Err: fmt.Errorf("%s %s: redirected to %q", method, p, resp.Header.Get("Location"))}
	case resp.StatusCode == http.StatusServiceUnavailable:
		if s := resp.Header.Get("Retry-After"); s != "" {
			if n, err := strconv.Atoi(s); err == nil && n >= 0 {
				return nil, &retryAfterError{ae, time.Duration(n) * time.Second}
			}
		}
	}
	return nil, ae
}

// Classify returns err as a *ConnError when it is a failure to reach or
// trust the bridge (for other connections to it, such as the Events
// websocket), and unchanged otherwise.
func (c *Client) Classify(err error) error {
	ce := c.classify("", "", err)
	var conn *ConnError
	if errors.As(ce, &conn) {
		return conn
	}
	return err
}

// classify turns a transport error into a *ConnError where it is one of
// the kinds an administrator must act on, and leaves it alone otherwise.
func (c *Client) classify(method, p string, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var te *trustError
	var rh tls.RecordHeaderError
	var alert tls.AlertError
	var cve *tls.CertificateVerificationError
	var op *net.OpError
	var dns *net.DNSError
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded) && !isDial(err):
		return fmt.Errorf("cms: %s %s: %w", method, p, err)
	case errors.As(err, &te):
		return &ConnError{Kind: te.kind, Addr: c.hostport, Err: te.err}
	case errors.As(err, &cve):
		return &ConnError{Kind: KindUntrusted, Addr: c.hostport, Err: err}
	case errors.As(err, &rh), errors.As(err, &alert), errors.Is(err, http.ErrSchemeMismatch):
		return &ConnError{Kind: KindTLSHandshake, Addr: c.hostport, Err: err}
	case errors.As(err, &dns):
		return &ConnError{Kind: KindUnreachable, Addr: c.hostport, Err: err}
	case errors.As(err, &op) && op.Op == "dial":
		return &ConnError{Kind: KindUnreachable, Addr: c.hostport, Err: err}
	case strings.Contains(err.Error(), "tls: "), strings.Contains(err.Error(), "TLS handshake timeout"):
		return &ConnError{Kind: KindTLSHandshake, Addr: c.hostport, Err: err}
	}
	return fmt.Errorf("cms: %s %s: %w", method, p, err)
}

func isDial(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// failureBody is <failureDetails> with its single reason child.
type failureBody struct {
	XMLName xml.Name      `xml:"failureDetails"`
	Reasons []failureItem `xml:",any"`
}

type failureItem struct {
	XMLName   xml.Name
	Parameter string `xml:"parameter,attr"`
	Error     string `xml:"error,attr"`
	// The element form <parameter>…</parameter> is accepted as well: the
	// published docs do not show which one a bridge sends.
	ParameterElem string `xml:"parameter"`
	ErrorElem     string `xml:"error"`
}

// parseFailure builds the *APIError of a non-2xx reply; a body that is not
// <failureDetails> only loses the reason code.
func parseFailure(method, p string, status int, body []byte) *APIError {
	ae := &APIError{Method: method, Path: p, Status: status}
	var fb failureBody
	if len(bytes.TrimSpace(body)) > 0 && newXMLDecoder(bytes.NewReader(body)).Decode(&fb) == nil && len(fb.Reasons) > 0 {
		r := fb.Reasons[0]
		ae.Reason = r.XMLName.Local
		ae.Parameter = cmp(r.Parameter, r.ParameterElem)
		ae.Detail = cmp(r.Error, r.ErrorElem)
	}
	return ae
}

func cmp(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func newXMLDecoder(r io.Reader) *xml.Decoder {
	d := xml.NewDecoder(r)
	d.CharsetReader = charsetReader
	return d
}

// charsetReader accepts the encodings a bridge could plausibly declare;
// encoding/xml itself knows only UTF-8.
func charsetReader(label string, in io.Reader) (io.Reader, error) {
	switch strings.ToLower(label) {
	case "utf-8", "utf8", "us-ascii", "ascii":
		return in, nil
	case "iso-8859-1", "latin1", "latin-1":
		return &latin1Reader{r: in}, nil
	}
	return nil, fmt.Errorf("unsupported XML encoding %q", label)
}

// latin1Reader converts ISO-8859-1 to UTF-8; pending holds the second
// byte of a character that did not fit the caller's buffer.
type latin1Reader struct {
	r       io.Reader
	pending []byte
	err     error // held back until pending is delivered
}

func (l *latin1Reader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if len(l.pending) > 0 {
		n := copy(p, l.pending)
		l.pending = l.pending[n:]
		return n, nil
	}
	if l.err != nil {
		return 0, l.err
	}
	buf := make([]byte, max(1, len(p)/2))
	n, err := l.r.Read(buf)
	var out []byte
	for _, b := range buf[:n] {
		out = append(out, string(rune(b))...)
	}
	c := copy(p, out)
	l.pending = append(l.pending, out[c:]...)
	if len(l.pending) > 0 && err != nil {
		l.err = err
		return c, nil
	}
	return c, err
}

// get fetches p and decodes the XML reply into v.
func (c *Client) get(ctx context.Context, p string, query url.Values, v any) error {
	r, err := c.do(ctx, http.MethodGet, p, query, nil)
	if err != nil {
		return err
	}
	if err := newXMLDecoder(bytes.NewReader(r.body)).Decode(v); err != nil {
		return &DecodeError{Method: http.MethodGet, Path: p, Err: err}
	}
	return nil
}

// Get fetches an API path (relative to /api/v1, e.g. "tenants/<id>") and
// decodes the XML reply into v, for objects this package has no method
// for.
func (c *Client) Get(ctx context.Context, p string, query url.Values, v any) error {
	return c.get(ctx, p, query, v)
}

// Create POSTs form to a collection path and returns the new object's id,
// the last segment of the Location header.
func (c *Client) Create(ctx context.Context, p string, form *Form) (string, error) {
	if form == nil {
		form = &Form{}
	}
	r, err := c.do(ctx, http.MethodPost, p, nil, form)
	if err != nil {
		return "", err
	}
	return locationID(http.MethodPost, p, r.header.Get("Location"))
}

// Modify PUTs form to an object path. Only the parameters in form change.
func (c *Client) Modify(ctx context.Context, p string, form *Form) error {
	if form == nil {
		form = &Form{}
	}
	_, err := c.do(ctx, http.MethodPut, p, nil, form)
	return err
}

// Delete DELETEs an object path.
func (c *Client) Delete(ctx context.Context, p string) error {
	_, err := c.do(ctx, http.MethodDelete, p, nil, nil)
	return err
}

// locationID takes the id from "Location: /api/v1/<collection>/<id>"
// (relative or absolute URL).
func locationID(method, p, loc string) (string, error) {
	if loc == "" {
		return "", &DecodeError{Method: method, Path: p, Err: errors.New("no Location header in the reply")}
	}
	if u, err := url.Parse(loc); err == nil {
		loc = u.Path
	}
	id := path.Base(strings.TrimRight(loc, "/"))
	if id == "" || id == "." || id == "/" {
		return "", &DecodeError{Method: method, Path: p, Err: fmt.Errorf("no id in Location %q", loc)}
	}
	return id, nil
}

// AuthToken asks the bridge for a one-use Events API token (POST
// /authTokens; the token is in the X-Cisco-CMS-Auth-Token header).
func (c *Client) AuthToken(ctx context.Context) (string, error) {
	r, err := c.do(ctx, http.MethodPost, "authTokens", nil, &Form{})
	if err != nil {
		return "", err
	}
	tok := r.header.Get("X-Cisco-CMS-Auth-Token")
	if tok == "" {
		return "", &DecodeError{Method: http.MethodPost, Path: "authTokens", Err: errors.New("no X-Cisco-CMS-Auth-Token header in the reply")}
	}
	return tok, nil
}

// objPath joins a collection and escaped ids: objPath("coSpaces", id,
// "accessMethods").
func objPath(parts ...string) string {
	for i := range parts {
		if i%2 == 1 {
			parts[i] = url.PathEscape(parts[i])
		}
	}
	return strings.Join(parts, "/")
}

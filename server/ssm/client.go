package ssm

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Config says how to reach and trust SSM, and who the instance is.
type Config struct {
	// URL is the protocol's base URL, for example
	// "https://127.0.0.1:8443/ssm/v1". It must be https.
	URL string
	// TrustedCA, when set, is the PEM bundle SSM's certificate must chain
	// to; nil means the system roots. Verification is never switched off.
	TrustedCA []byte
	// ProductInstanceID identifies this Switchboard instance to SSM. It
	// must stay the same across restarts (it is what SSM calls "already
	// registered").
	ProductInstanceID string
	// ProductName is sent at registration (default "Switchboard").
	ProductName string
	// Timeout bounds each attempt. Zero means 30 s.
	Timeout time.Duration
	// Retry shapes retries; the zero value means the defaults.
	Retry Retry
	// Sleep waits between attempts and returns early with ctx's error.
	// Nil means a real timer; tests inject one that does not sleep.
	Sleep func(ctx context.Context, d time.Duration) error
	// MaxReplyBytes bounds a reply body. Zero means 1 MiB.
	MaxReplyBytes int64
}

// Retry is the retry policy. Every operation is retried when nothing was
// sent (the dial failed) and on 503 (SSM did not apply it). Renewals and
// usage reports, which SSM applies idempotently (a report is counted once
// per ReportID), are also retried after a timeout or a broken connection;
// Register and Deregister are not, since a repeat would meet "already
// registered" or "not registered" and hide the first attempt's outcome.
type Retry struct {
	// Attempts is the total number of attempts, the first included. Zero
	// means 3; 1 disables retries.
	Attempts int
	// Base is the wait before the second attempt; it doubles each time.
	// Zero means 500 ms.
	Base time.Duration
	// Max caps a single wait, a Retry-After header included. Zero means
	// 10 s.
	Max time.Duration
}

func (r Retry) withDefaults() Retry {
	if r.Attempts <= 0 {
		r.Attempts = 3
	}
	if r.Base <= 0 {
		r.Base = 500 * time.Millisecond
	}
	if r.Max <= 0 {
		r.Max = 10 * time.Second
	}
	if r.Max < r.Base {
		r.Max = r.Base
	}
	return r
}

// delay returns the wait before attempt n+1 (n ≥ 1), with jitter in its
// upper half.
func (r Retry) delay(n int) time.Duration {
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

// Client talks to SSM for one product instance. It is safe for
// concurrent use and holds no registration state.
type Client struct {
	base     string
	instance string
	product  string
	hc       *http.Client
	timeout  time.Duration
	retry    Retry
	sleep    func(context.Context, time.Duration) error
	maxReply int64
}

// New returns a client for cfg. It contacts nothing.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("ssm: URL %q: want https://host[:port]/path", cfg.URL)
	}
	if cfg.ProductInstanceID == "" {
		return nil, errors.New("ssm: ProductInstanceID is required")
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if len(cfg.TrustedCA) > 0 {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(cfg.TrustedCA) {
			return nil, errors.New("ssm: TrustedCA holds no PEM certificate")
		}
		tc.RootCAs = pool
	}
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	c := &Client{
		base:     strings.TrimRight(u.String(), "/"),
		instance: cfg.ProductInstanceID,
		product:  cfg.ProductName,
		hc: &http.Client{
			Transport: &http.Transport{
				DialContext:         dialer.DialContext,
				TLSClientConfig:     tc,
				TLSHandshakeTimeout: 15 * time.Second,
				MaxIdleConnsPerHost: 2,
				IdleConnTimeout:     90 * time.Second,
			},
			// The protocol never redirects; following one could send the
			// credential elsewhere.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		timeout:  cfg.Timeout,
		retry:    cfg.Retry.withDefaults(),
		sleep:    cfg.Sleep,
		maxReply: cfg.MaxReplyBytes,
	}
	if c.product == "" {
		c.product = "Switchboard"
	}
	if c.timeout <= 0 {
		c.timeout = 30 * time.Second
	}
	if c.sleep == nil {
		c.sleep = sleepCtx
	}
	if c.maxReply <= 0 {
		c.maxReply = 1 << 20
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

// Close releases idle connections.
func (c *Client) Close() { c.hc.CloseIdleConnections() }

// ProductInstanceID returns the instance id the client registers.
func (c *Client) ProductInstanceID() string { return c.instance }

// Register registers the instance with a registration token. Without
// force, SSM refuses an instance it already holds (ErrAlreadyRegistered);
// with force it replaces that registration, also moving the instance to
// the token's virtual account (reregistration). The old credential stops
// working.
func (c *Client) Register(ctx context.Context, token string, force bool) (*Registered, error) {
	const op = "register"
	if token == "" {
		return nil, &Error{Op: op, Kind: KindTokenRejected, Reason: "tokenEmpty", Err: errors.New("empty registration token")}
	}
	body, _ := json.Marshal(map[string]any{
		"token": token, "productInstanceId": c.instance, "productName": c.product, "force": force,
	})
	b, err := c.do(ctx, op, http.MethodPost, "/registrations", "", body, false)
	if err != nil {
		return nil, err
	}
	r, err := DecodeRegistered(b)
	if err != nil {
		return nil, &Error{Op: op, Kind: KindProtocol, Err: err}
	}
	if r.ProductInstanceID != c.instance {
		return nil, &Error{Op: op, Kind: KindProtocol, Err: fmt.Errorf("registered instance %q, asked for %q", r.ProductInstanceID, c.instance)}
	}
	return r, nil
}

// RenewAuthorization renews the authorization and returns the counts the
// virtual account now holds.
func (c *Client) RenewAuthorization(ctx context.Context, cred Credential) (*Authorization, error) {
	const op = "renewAuthorization"
	b, err := c.do(ctx, op, http.MethodPost, c.instancePath("/authorization"), cred, nil, true)
	if err != nil {
		return nil, err
	}
	a, err := DecodeAuthorization(b)
	if err != nil {
		return nil, &Error{Op: op, Kind: KindProtocol, Err: err}
	}
	return a, nil
}

// RenewRegistration renews the registration and returns its new expiry.
func (c *Client) RenewRegistration(ctx context.Context, cred Credential) (*Registration, error) {
	const op = "renewRegistration"
	b, err := c.do(ctx, op, http.MethodPost, c.instancePath("/registration"), cred, nil, true)
	if err != nil {
		return nil, err
	}
	r, err := DecodeRegistration(b)
	if err != nil {
		return nil, &Error{Op: op, Kind: KindProtocol, Err: err}
	}
	return r, nil
}

// Deregister releases the instance from SSM. ErrNotRegistered means SSM
// had already forgotten it; what to make of that is the caller's choice.
func (c *Client) Deregister(ctx context.Context, cred Credential) error {
	_, err := c.do(ctx, "deregister", http.MethodDelete, c.instancePath(""), cred, nil, false)
	return err
}

// ReportUsage sends one usage report and returns SSM's compliance answer.
// Resending the same ReportID (after a lost reply) is safe.
func (c *Client) ReportUsage(ctx context.Context, cred Credential, rep UsageReport) (*UsageReceipt, error) {
	const op = "usage"
	if rep.ReportID == "" || rep.MeasuredAt.IsZero() {
		return nil, &Error{Op: op, Kind: KindRefused, Reason: "invalidRequest", Err: errors.New("ReportID and MeasuredAt are required")}
	}
	type item struct {
		Tag   Entitlement `json:"tag"`
		Count int         `json:"count"`
	}
	items := []item{}
	for tag, n := range rep.Usage {
		if tag == "" || n < 0 {
			return nil, &Error{Op: op, Kind: KindRefused, Reason: "invalidRequest", Err: fmt.Errorf("bad usage %q=%d", tag, n)}
		}
		items = append(items, item{tag, n})
	}
	sort.Slice(items, func(i, j int) bool { return items[i].Tag < items[j].Tag })
	body, _ := json.Marshal(map[string]any{"reportId": rep.ReportID, "measuredAt": rep.MeasuredAt.UTC(), "usage": items})
	b, err := c.do(ctx, op, http.MethodPost, c.instancePath("/usage"), cred, body, true)
	if err != nil {
		return nil, err
	}
	u, err := DecodeUsageReceipt(b)
	if err != nil {
		return nil, &Error{Op: op, Kind: KindProtocol, Err: err}
	}
	if u.ReportID != rep.ReportID {
		return nil, &Error{Op: op, Kind: KindProtocol, Err: fmt.Errorf("receipt for report %q, sent %q", u.ReportID, rep.ReportID)}
	}
	return u, nil
}

func (c *Client) instancePath(suffix string) string {
	return "/instances/" + url.PathEscape(c.instance) + suffix
}

// do sends one request with retries and returns the 2xx reply body.
func (c *Client) do(ctx context.Context, op, method, p string, cred Credential, body []byte, idempotent bool) ([]byte, error) {
	for attempt := 1; ; attempt++ {
		b, sent, err := c.once(ctx, op, method, p, cred, body)
		if err == nil {
			return b, nil
		}
		if cerr := ctx.Err(); cerr != nil {
			// The caller gave up; that, not the symptom, is the answer.
			return nil, fmt.Errorf("ssm: %s: %w", op, cerr)
		}
		var e *Error
		if !errors.As(err, &e) || attempt >= c.retry.Attempts {
			return nil, err
		}
		// Only transient kinds are retried; certificates, tokens and
		// registrations do not fix themselves.
		transient := e.Kind == KindTimeout || e.Kind == KindUnreachable
		retry := e.Kind == KindUnavailable || (transient && (!sent || idempotent))
		if !retry {
			return nil, err
		}
		d := c.retry.delay(attempt)
		if e.retryAfter > 0 {
			d = min(e.retryAfter, c.retry.Max)
		}
		if serr := c.sleep(ctx, d); serr != nil {
			return nil, fmt.Errorf("ssm: %s: %w (gave up waiting to retry after: %v)", op, serr, err)
		}
	}
}

// once makes one attempt. sent reports whether the request may have
// reached SSM (false only when the dial failed).
func (c *Client) once(ctx context.Context, op, method, p string, cred Credential, body []byte) ([]byte, bool, error) {
	actx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(actx, method, c.base+p, rd)
	if err != nil {
		return nil, false, &Error{Op: op, Kind: KindProtocol, Err: err}
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if cred != "" {
		req.Header.Set("Authorization", "Bearer "+string(cred))
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		sent, e := c.classify(op, err)
		return nil, sent, e
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, c.maxReply+1))
	if ctx.Err() == nil && actx.Err() != nil {
		// The attempt's deadline passed while the reply was read: a
		// timeout, whatever the cut-off reply looks like.
		return nil, true, &Error{Op: op, Kind: KindTimeout, Err: actx.Err()}
	}
	if err != nil {
		_, e := c.classify(op, err)
		return nil, true, e
	}
	if int64(len(b)) > c.maxReply {
		return nil, true, &Error{Op: op, Kind: KindProtocol, Status: resp.StatusCode, Err: fmt.Errorf("reply larger than %d bytes", c.maxReply)}
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return b, true, nil
	}
	reason, msg := decodeError(b)
	e := &Error{Op: op, Kind: kindOf(resp.StatusCode, reason), Status: resp.StatusCode, Reason: reason, Message: msg}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		e.Kind = KindProtocol
		e.Err = fmt.Errorf("redirected to %q", resp.Header.Get("Location"))
	}
	if e.Kind == KindUnavailable {
		if n, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && n >= 0 {
			e.retryAfter = time.Duration(n) * time.Second
		}
	}
	return nil, true, e
}

// classify turns a transport error into an *Error and says whether the
// request may have been sent.
func (c *Client) classify(op string, err error) (bool, error) {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var op2 *net.OpError
	var dns *net.DNSError
	var cve *tls.CertificateVerificationError
	var uae x509.UnknownAuthorityError
	var hne x509.HostnameError
	var rh tls.RecordHeaderError
	var alert tls.AlertError
	dial := errors.As(err, &op2) && op2.Op == "dial"
	switch {
	case errors.Is(err, context.Canceled):
		return true, fmt.Errorf("ssm: %s: %w", op, err)
	case errors.As(err, &cve), errors.As(err, &uae), errors.As(err, &hne),
		errors.As(err, &rh), errors.As(err, &alert), errors.Is(err, http.ErrSchemeMismatch):
		return false, &Error{Op: op, Kind: KindTLS, Err: err}
	case errors.As(err, &dns), dial && !errors.Is(err, context.DeadlineExceeded):
		return false, &Error{Op: op, Kind: KindUnreachable, Err: err}
	case errors.Is(err, context.DeadlineExceeded), isTimeout(err):
		return !dial, &Error{Op: op, Kind: KindTimeout, Err: err}
	case strings.Contains(err.Error(), "tls: "):
		return false, &Error{Op: op, Kind: KindTLS, Err: err}
	}
	// A connection broken mid-exchange: SSM may have applied the request.
	return true, &Error{Op: op, Kind: KindUnreachable, Err: err}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

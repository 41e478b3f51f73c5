// Package switchboard is the Go SDK for Switchboard. New returns the
// generated Connect clients of every service, already authenticated:
//
//	c, err := switchboard.New(ctx, switchboard.Options{
//		BaseURL:  "https://switchboard.example.com:8443",
//		Username: "admin", Password: os.Getenv("SWITCHBOARD_PASSWORD"),
//	})
//	me, err := c.Auth.WhoAmI(ctx, connect.NewRequest(&authv1.WhoAmIRequest{}))
//
// Integrations use an API token that an administrator created with
// AuthService.CreateApiToken instead of a password:
//
//	c, err := switchboard.New(ctx, switchboard.Options{BaseURL: url, Token: os.Getenv("SWITCHBOARD_TOKEN")})
//
// The clients speak the Connect protocol by default, or gRPC with
// Options.GRPC; both run over HTTP/2.
package switchboard

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"connectrpc.com/connect"

	authv1 "github.com/switchboardhq/switchboard/gen/switchboard/auth/v1"
	"github.com/switchboardhq/switchboard/gen/switchboard/auth/v1/authv1connect"
	"github.com/switchboardhq/switchboard/gen/switchboard/licensing/v1/licensingv1connect"
	"github.com/switchboardhq/switchboard/gen/switchboard/meetings/v1/meetingsv1connect"
	"github.com/switchboardhq/switchboard/gen/switchboard/overview/v1/overviewv1connect"
	"github.com/switchboardhq/switchboard/gen/switchboard/servers/v1/serversv1connect"
	"github.com/switchboardhq/switchboard/gen/switchboard/system/v1/systemv1connect"
	"github.com/switchboardhq/switchboard/gen/switchboard/users/v1/usersv1connect"
)

// Options configure a Client. Give either Token, or Username and Password.
type Options struct {
	// BaseURL is the server, e.g. https://localhost:8443 (or http:// for a
	// server started with --plaintext).
	BaseURL string
	// Token is an existing session token or an API token (sbt_…); it is
	// sent as `authorization: Bearer <token>` on every call.
	Token string
	// Username and Password sign in when no Token is given.
	Username string
	Password string
	// RootCAs verifies the server certificate; nil uses the system pool.
	RootCAs *x509.CertPool
	// InsecureSkipVerify accepts any server certificate, such as the
	// self-signed one a fresh installation generates. Development only.
	InsecureSkipVerify bool
	// GRPC selects the gRPC protocol instead of Connect.
	GRPC bool
	// HTTPClient replaces the client built from the TLS options.
	HTTPClient *http.Client
}

// Client holds one generated client per service, sharing one connection
// pool and one credential.
type Client struct {
	Auth   authv1connect.AuthServiceClient
	Users  usersv1connect.UserServiceClient
	System systemv1connect.SystemServiceClient
	// Overview is the overview page and its notifications.
	Overview overviewv1connect.OverviewServiceClient
	// Servers manages Call Bridges, clusters and the CDR receiver address.
	Servers serversv1connect.ServerServiceClient
	// Meetings lists and watches meetings and acts on them.
	Meetings meetingsv1connect.MeetingServiceClient
	// Licensing reports licence usage (utilisation series).
	Licensing licensingv1connect.LicensingServiceClient
	// SmartLicensing registers the instance with Cisco SSM and renews it.
	SmartLicensing licensingv1connect.SmartLicensingServiceClient

	mu    sync.RWMutex
	token string
}

// New builds a client and, when Username and Password are given, signs in.
func New(ctx context.Context, o Options) (*Client, error) {
	base := strings.TrimRight(o.BaseURL, "/")
	if !strings.HasPrefix(base, "https://") && !strings.HasPrefix(base, "http://") {
		return nil, errors.New("switchboard: BaseURL must start with https:// or http://")
	}
	if o.Token == "" && (o.Username == "") != (o.Password == "") {
		return nil, errors.New("switchboard: give both Username and Password, or a Token")
	}
	httpClient := o.HTTPClient
	if httpClient == nil {
		httpClient = newHTTPClient(strings.HasPrefix(base, "http://"), o)
	}
	c := &Client{token: o.Token}
	opts := []connect.ClientOption{connect.WithInterceptors(bearer{c})}
	if o.GRPC {
		opts = append(opts, connect.WithGRPC())
	}
	c.Auth = authv1connect.NewAuthServiceClient(httpClient, base, opts...)
	c.Users = usersv1connect.NewUserServiceClient(httpClient, base, opts...)
	c.System = systemv1connect.NewSystemServiceClient(httpClient, base, opts...)
	c.Overview = overviewv1connect.NewOverviewServiceClient(httpClient, base, opts...)
	c.Servers = serversv1connect.NewServerServiceClient(httpClient, base, opts...)
	c.Meetings = meetingsv1connect.NewMeetingServiceClient(httpClient, base, opts...)
	c.Licensing = licensingv1connect.NewLicensingServiceClient(httpClient, base, opts...)
	c.SmartLicensing = licensingv1connect.NewSmartLicensingServiceClient(httpClient, base, opts...)

	if o.Token == "" && o.Username != "" {
		res, err := c.Auth.SignIn(ctx, connect.NewRequest(&authv1.SignInRequest{Username: o.Username, Password: o.Password}))
		if err != nil {
			return nil, fmt.Errorf("switchboard: sign in: %w", err)
		}
		c.SetToken(res.Msg.GetToken())
	}
	return c, nil
}

// Token returns the session token in use.
func (c *Client) Token() string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.token
}

// SetToken replaces the session token.
func (c *Client) SetToken(token string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.token = token
}

func newHTTPClient(plaintext bool, o Options) *http.Client {
	tr := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout: 10 * time.Second,
		IdleConnTimeout:     90 * time.Second,
		TLSClientConfig: &tls.Config{
			MinVersion:         tls.VersionTLS12,
			RootCAs:            o.RootCAs,
			InsecureSkipVerify: o.InsecureSkipVerify, // opt-in, documented as development only
		},
		Protocols: new(http.Protocols),
	}
	if plaintext {
		// A --plaintext server speaks h2c; streams need HTTP/2.
		tr.Protocols.SetUnencryptedHTTP2(true)
	} else {
		tr.Protocols.SetHTTP1(true)
		tr.Protocols.SetHTTP2(true)
	}
	return &http.Client{Transport: tr}
}

// bearer adds the session token to every call.
type bearer struct{ c *Client }

func (b bearer) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		if tok := b.c.Token(); tok != "" && req.Header().Get("Authorization") == "" {
			req.Header().Set("Authorization", "Bearer "+tok)
		}
		return next(ctx, req)
	}
}

func (b bearer) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return func(ctx context.Context, spec connect.Spec) connect.StreamingClientConn {
		conn := next(ctx, spec)
		if tok := b.c.Token(); tok != "" {
			conn.RequestHeader().Set("Authorization", "Bearer "+tok)
		}
		return conn
	}
}

func (b bearer) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return next
}

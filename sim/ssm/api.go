package ssmsim

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Wire types of docs/ssm-protocol.md. They are written from that document,
// not shared with the client, so that a drift shows up in the tests.

type wireError struct {
	Error wireErrorBody `json:"error"`
}

type wireErrorBody struct {
	Reason  string `json:"reason"`
	Message string `json:"message"`
}

type wireRegisterRequest struct {
	Token             string `json:"token"`
	ProductInstanceID string `json:"productInstanceId"`
	ProductName       string `json:"productName"`
	Force             bool   `json:"force"`
}

type wireEntitlement struct {
	Tag   Entitlement `json:"tag"`
	Name  string      `json:"name"`
	Count int         `json:"count"`
}

type wireAuthorization struct {
	VirtualAccount string            `json:"virtualAccount"`
	AuthorizedAt   time.Time         `json:"authorizedAt"`
	ExpiresAt      time.Time         `json:"expiresAt"`
	Entitlements   []wireEntitlement `json:"entitlements"`
}

type wireRegistration struct {
	ProductInstanceID string             `json:"productInstanceId"`
	VirtualAccount    string             `json:"virtualAccount"`
	Credential        string             `json:"credential,omitempty"`
	RegisteredAt      time.Time          `json:"registeredAt"`
	ExpiresAt         time.Time          `json:"expiresAt"`
	Authorization     *wireAuthorization `json:"authorization,omitempty"`
}

type wireUsageItem struct {
	Tag   Entitlement `json:"tag"`
	Count int         `json:"count"`
}

type wireUsageRequest struct {
	ReportID   string          `json:"reportId"`
	MeasuredAt time.Time       `json:"measuredAt"`
	Usage      []wireUsageItem `json:"usage"`
}

type wireUsageLine struct {
	Tag       Entitlement `json:"tag"`
	Purchased int         `json:"purchased"`
	Used      int         `json:"used"`
	Status    string      `json:"status"`
}

type wireUsageReceipt struct {
	ReportID     string          `json:"reportId"`
	ReceivedAt   time.Time       `json:"receivedAt"`
	Compliance   string          `json:"compliance"`
	Entitlements []wireUsageLine `json:"entitlements"`
}

// Compliance values of a usage receipt.
const (
	InCompliance    = "IN_COMPLIANCE"
	OutOfCompliance = "OUT_OF_COMPLIANCE"
)

// Reason codes of error replies.
const (
	ReasonInvalidRequest      = "invalidRequest"
	ReasonTokenUnknown        = "tokenUnknown"
	ReasonTokenExpired        = "tokenExpired"
	ReasonTokenRevoked        = "tokenRevoked"
	ReasonTokenRejected       = "tokenRejected"
	ReasonAlreadyRegistered   = "alreadyRegistered"
	ReasonNotRegistered       = "notRegistered"
	ReasonCredentialRejected  = "credentialRejected"
	ReasonRegistrationExpired = "registrationExpired"
	ReasonUnavailable         = "unavailable"
)

// apiErr is a refusal: an HTTP status with a reason code.
type apiErr struct {
	status int
	reason string
	msg    string
}

func refuse(status int, reason, format string, args ...any) *apiErr {
	return &apiErr{status: status, reason: reason, msg: fmt.Sprintf(format, args...)}
}

func (s *Sim) apiHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /ssm/v1/registrations", s.endpoint(OpRegister, s.register))
	mux.HandleFunc("POST /ssm/v1/instances/{id}/authorization", s.endpoint(OpRenewAuthorization, s.renewAuthorization))
	mux.HandleFunc("POST /ssm/v1/instances/{id}/registration", s.endpoint(OpRenewRegistration, s.renewRegistration))
	mux.HandleFunc("DELETE /ssm/v1/instances/{id}", s.endpoint(OpDeregister, s.deregister))
	mux.HandleFunc("POST /ssm/v1/instances/{id}/usage", s.endpoint(OpUsage, s.usage))
	return mux
}

// endpoint wraps an operation with the latency and 503 faults, JSON
// output and the request log. f runs under s.mu.
func (s *Sim) endpoint(op Op, f func(r *http.Request, body []byte) (int, any, *apiErr)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		lat := s.latency
		s.mu.Unlock()
		if lat > 0 {
			t := time.NewTimer(lat)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			return
		}
		s.mu.Lock()
		rec := Request{Op: op, Instance: r.PathValue("id"), At: s.clock.Now()}
		var status int
		var out any
		var ae *apiErr
		if s.fail503 > 0 {
			s.fail503--
			ae = refuse(http.StatusServiceUnavailable, ReasonUnavailable, "temporarily unavailable")
		} else {
			status, out, ae = f(r, body)
		}
		if ae != nil {
			rec.Status, rec.Reason = ae.status, ae.reason
		} else {
			rec.Status = status
		}
		s.requests = append(s.requests, rec)
		s.mu.Unlock()

		w.Header().Set("Content-Type", "application/json")
		if ae != nil {
			if ae.status == http.StatusServiceUnavailable {
				w.Header().Set("Retry-After", "1")
			}
			w.WriteHeader(ae.status)
			_ = json.NewEncoder(w).Encode(wireError{Error: wireErrorBody{Reason: ae.reason, Message: ae.msg}})
			return
		}
		if out == nil {
			w.WriteHeader(status)
			return
		}
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(out)
	}
}

// decodeStrict refuses unknown fields and trailing data, so a client that
// works here sends exactly what the protocol document says.
func decodeStrict(body []byte, v any) *apiErr {
	d := json.NewDecoder(bytes.NewReader(body))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return refuse(http.StatusBadRequest, ReasonInvalidRequest, "body: %v", err)
	}
	if d.More() {
		return refuse(http.StatusBadRequest, ReasonInvalidRequest, "body: data after the JSON object")
	}
	return nil
}

func (s *Sim) register(_ *http.Request, body []byte) (int, any, *apiErr) {
	var in wireRegisterRequest
	if ae := decodeStrict(body, &in); ae != nil {
		return 0, nil, ae
	}
	if in.Token == "" || in.ProductInstanceID == "" {
		return 0, nil, refuse(http.StatusBadRequest, ReasonInvalidRequest, "token and productInstanceId are required")
	}
	now := s.clock.Now()
	if s.rejectTokens {
		return 0, nil, refuse(http.StatusBadRequest, ReasonTokenRejected, "the registration token was rejected")
	}
	tok, ok := s.tokens[in.Token]
	switch {
	case !ok:
		return 0, nil, refuse(http.StatusBadRequest, ReasonTokenUnknown, "no such registration token")
	case tok.Revoked:
		return 0, nil, refuse(http.StatusBadRequest, ReasonTokenRevoked, "the registration token has been revoked")
	case !now.Before(tok.ExpiresAt):
		return 0, nil, refuse(http.StatusBadRequest, ReasonTokenExpired, "the registration token expired at %s", tok.ExpiresAt.UTC().Format(time.RFC3339))
	}
	if prev, ok := s.instances[in.ProductInstanceID]; (ok || s.alreadyReg) && !in.Force {
		acct := ""
		if ok {
			acct = prev.Account
		}
		return 0, nil, refuse(http.StatusConflict, ReasonAlreadyRegistered, "product instance is already registered%s", inAccount(acct))
	}
	acct := s.accounts[tok.Account]
	tok.Uses++
	in0 := &instance{Instance: Instance{
		ID: in.ProductInstanceID, ProductName: in.ProductName, Account: acct.Name,
		Credential:            s.randLocked("cred", 32),
		RegisteredAt:          now,
		RegistrationExpiresAt: now.AddDate(0, s.opts.RegistrationMonths, 0),
		AuthorizedAt:          now,
		AuthorizationExpires:  now.Add(s.opts.AuthorizationPeriod),
	}, reports: map[string]int{}}
	s.instances[in0.ID] = in0
	reg := s.registrationLocked(in0)
	reg.Credential = in0.Credential
	reg.Authorization = s.authorizationLocked(in0)
	return http.StatusCreated, reg, nil
}

func inAccount(a string) string {
	if a == "" {
		return ""
	}
	return " in virtual account " + a
}

// instanceLocked authenticates the caller as a registered instance.
func (s *Sim) instanceLocked(r *http.Request) (*instance, *apiErr) {
	id := r.PathValue("id")
	in, ok := s.instances[id]
	if !ok {
		return nil, refuse(http.StatusNotFound, ReasonNotRegistered, "product instance is not registered")
	}
	cred, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || subtle.ConstantTimeCompare([]byte(cred), []byte(in.Credential)) != 1 {
		return nil, refuse(http.StatusUnauthorized, ReasonCredentialRejected, "instance credential rejected (registered again elsewhere?)")
	}
	if !s.clock.Now().Before(in.RegistrationExpiresAt) {
		return nil, refuse(http.StatusForbidden, ReasonRegistrationExpired, "registration expired at %s", in.RegistrationExpiresAt.UTC().Format(time.RFC3339))
	}
	return in, nil
}

func (s *Sim) registrationLocked(in *instance) *wireRegistration {
	return &wireRegistration{
		ProductInstanceID: in.ID, VirtualAccount: in.Account,
		RegisteredAt: in.RegisteredAt.UTC(), ExpiresAt: in.RegistrationExpiresAt.UTC(),
	}
}

func (s *Sim) authorizationLocked(in *instance) *wireAuthorization {
	a := s.accounts[in.Account]
	out := &wireAuthorization{VirtualAccount: a.Name, AuthorizedAt: in.AuthorizedAt.UTC(), ExpiresAt: in.AuthorizationExpires.UTC()}
	for _, e := range Entitlements {
		out.Entitlements = append(out.Entitlements, wireEntitlement{Tag: e, Name: e.Name(), Count: a.Purchased[e]})
	}
	return out
}

func (s *Sim) renewAuthorization(r *http.Request, body []byte) (int, any, *apiErr) {
	if ae := emptyBody(body); ae != nil {
		return 0, nil, ae
	}
	in, ae := s.instanceLocked(r)
	if ae != nil {
		return 0, nil, ae
	}
	now := s.clock.Now()
	in.AuthorizedAt, in.AuthorizationExpires = now, now.Add(s.opts.AuthorizationPeriod)
	return http.StatusOK, s.authorizationLocked(in), nil
}

func (s *Sim) renewRegistration(r *http.Request, body []byte) (int, any, *apiErr) {
	if ae := emptyBody(body); ae != nil {
		return 0, nil, ae
	}
	in, ae := s.instanceLocked(r)
	if ae != nil {
		return 0, nil, ae
	}
	in.RegistrationExpiresAt = s.clock.Now().AddDate(0, s.opts.RegistrationMonths, 0)
	return http.StatusOK, s.registrationLocked(in), nil
}

func (s *Sim) deregister(r *http.Request, body []byte) (int, any, *apiErr) {
	if ae := emptyBody(body); ae != nil {
		return 0, nil, ae
	}
	in, ae := s.instanceLocked(r)
	if ae != nil && ae.reason != ReasonRegistrationExpired {
		return 0, nil, ae
	}
	if in == nil {
		in = s.instances[r.PathValue("id")]
	}
	delete(s.instances, in.ID)
	return http.StatusNoContent, nil, nil
}

func (s *Sim) usage(r *http.Request, body []byte) (int, any, *apiErr) {
	var req wireUsageRequest
	if ae := decodeStrict(body, &req); ae != nil {
		return 0, nil, ae
	}
	in, ae := s.instanceLocked(r)
	if ae != nil {
		return 0, nil, ae
	}
	if req.ReportID == "" || req.MeasuredAt.IsZero() {
		return 0, nil, refuse(http.StatusBadRequest, ReasonInvalidRequest, "reportId and measuredAt are required")
	}
	usage := map[Entitlement]int{}
	for _, u := range req.Usage {
		if !u.Tag.Valid() || u.Count < 0 {
			return 0, nil, refuse(http.StatusBadRequest, ReasonInvalidRequest, "usage: bad entry %q=%d", u.Tag, u.Count)
		}
		if _, dup := usage[u.Tag]; dup {
			return 0, nil, refuse(http.StatusBadRequest, ReasonInvalidRequest, "usage: %s listed twice", u.Tag)
		}
		usage[u.Tag] = u.Count
	}
	if i, ok := in.reports[req.ReportID]; ok {
		// A resent report (the reply was lost) is answered again, not counted twice.
		return http.StatusOK, s.receiptLocked(s.reports[in.ID][i]), nil
	}
	rep := UsageReport{
		ReportID: req.ReportID, Instance: in.ID, Account: in.Account,
		MeasuredAt: req.MeasuredAt.UTC(), ReceivedAt: s.clock.Now().UTC(), Usage: usage,
	}
	rep.Compliance = InCompliance
	for _, l := range s.linesLocked(rep) {
		if l.Status != InCompliance {
			rep.Compliance = OutOfCompliance
		}
	}
	in.reports[rep.ReportID] = len(s.reports[in.ID])
	s.reports[in.ID] = append(s.reports[in.ID], rep)
	return http.StatusOK, s.receiptLocked(rep), nil
}

func (s *Sim) linesLocked(rep UsageReport) []wireUsageLine {
	a := s.accounts[rep.Account]
	var out []wireUsageLine
	for _, e := range Entitlements {
		l := wireUsageLine{Tag: e, Purchased: a.Purchased[e], Used: rep.Usage[e], Status: InCompliance}
		if l.Used > l.Purchased {
			l.Status = OutOfCompliance
		}
		out = append(out, l)
	}
	return out
}

func (s *Sim) receiptLocked(rep UsageReport) *wireUsageReceipt {
	return &wireUsageReceipt{ReportID: rep.ReportID, ReceivedAt: rep.ReceivedAt, Compliance: rep.Compliance, Entitlements: s.linesLocked(rep)}
}

func emptyBody(body []byte) *apiErr {
	t := bytes.TrimSpace(body)
	if len(t) == 0 || string(t) == "{}" {
		return nil
	}
	return refuse(http.StatusBadRequest, ReasonInvalidRequest, "this request takes no body")
}

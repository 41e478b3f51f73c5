// Package usersv1 adapts the users domain service to switchboard.users.v1.
package usersv1

import (
	"context"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	usersv1 "github.com/switchboardhq/switchboard/gen/switchboard/users/v1"
	"github.com/switchboardhq/switchboard/gen/switchboard/users/v1/usersv1connect"
	apiauthv1 "github.com/switchboardhq/switchboard/server/api/authv1"
	"github.com/switchboardhq/switchboard/server/platform/errs"
	"github.com/switchboardhq/switchboard/server/platform/principal"
	"github.com/switchboardhq/switchboard/server/users"
)

// Handler implements usersv1connect.UserServiceHandler.
type Handler struct {
	usersv1connect.UnimplementedUserServiceHandler
	svc *users.Service
}

// New returns the handler.
func New(svc *users.Service) *Handler { return &Handler{svc: svc} }

func caller(ctx context.Context) (*principal.Principal, error) {
	p, ok := principal.From(ctx)
	if !ok {
		return nil, errs.New(errs.Unauthenticated, errs.ReasonUnauthenticated, "sign in first")
	}
	return p, nil
}

// CreateLocalUser implements UserService.CreateLocalUser.
func (h *Handler) CreateLocalUser(ctx context.Context, req *connect.Request[usersv1.CreateLocalUserRequest]) (*connect.Response[usersv1.CreateLocalUserResponse], error) {
	m := req.Msg
	u, err := h.svc.CreateLocalUser(ctx, users.NewLocalUser{Username: m.GetUsername(), FirstName: m.GetFirstName(),
		LastName: m.GetLastName(), Role: apiauthv1.DomainRole(m.GetRole()), Password: m.GetPassword()})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&usersv1.CreateLocalUserResponse{User: localUser(u)}), nil
}

// GetLocalUser implements UserService.GetLocalUser.
func (h *Handler) GetLocalUser(ctx context.Context, req *connect.Request[usersv1.GetLocalUserRequest]) (*connect.Response[usersv1.GetLocalUserResponse], error) {
	u, err := h.svc.GetLocalUser(ctx, req.Msg.GetUsername())
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&usersv1.GetLocalUserResponse{User: localUser(u)}), nil
}

// ListLocalUsers implements UserService.ListLocalUsers.
func (h *Handler) ListLocalUsers(ctx context.Context, req *connect.Request[usersv1.ListLocalUsersRequest]) (*connect.Response[usersv1.ListLocalUsersResponse], error) {
	page, err := h.svc.ListLocalUsers(ctx, req.Msg.GetSearch(), int(req.Msg.GetPageSize()), req.Msg.GetPageToken())
	if err != nil {
		return nil, err
	}
	out := &usersv1.ListLocalUsersResponse{NextPageToken: page.NextPageToken,
		LocalAdministratorCount: int32(page.LocalAdministratorCount), Warnings: adminWarnings(page.LocalAdministratorCount)}
	for _, u := range page.Users {
		out.Users = append(out.Users, localUser(u))
	}
	return connect.NewResponse(out), nil
}

// UpdateLocalUser implements UserService.UpdateLocalUser.
func (h *Handler) UpdateLocalUser(ctx context.Context, req *connect.Request[usersv1.UpdateLocalUserRequest]) (*connect.Response[usersv1.UpdateLocalUserResponse], error) {
	m := req.Msg
	var in users.LocalUserUpdate
	if m.FirstName != nil {
		in.FirstName = m.FirstName
	}
	if m.LastName != nil {
		in.LastName = m.LastName
	}
	if m.Role != nil {
		r := apiauthv1.DomainRole(m.GetRole())
		in.Role = &r
	}
	if m.Password != nil {
		in.Password = m.Password
	}
	u, err := h.svc.UpdateLocalUser(ctx, m.GetUsername(), in)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&usersv1.UpdateLocalUserResponse{User: localUser(u)}), nil
}

// DeleteLocalUser implements UserService.DeleteLocalUser.
func (h *Handler) DeleteLocalUser(ctx context.Context, req *connect.Request[usersv1.DeleteLocalUserRequest]) (*connect.Response[usersv1.DeleteLocalUserResponse], error) {
	p, _ := principal.From(ctx)
	n, err := h.svc.DeleteLocalUser(ctx, p, req.Msg.GetUsername())
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&usersv1.DeleteLocalUserResponse{LocalAdministratorCount: int32(n), Warnings: adminWarnings(n)}), nil
}

// ChangeOwnPassword implements UserService.ChangeOwnPassword.
func (h *Handler) ChangeOwnPassword(ctx context.Context, req *connect.Request[usersv1.ChangeOwnPasswordRequest]) (*connect.Response[usersv1.ChangeOwnPasswordResponse], error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := h.svc.ChangeOwnPassword(ctx, p, req.Msg.GetCurrentPassword(), req.Msg.GetNewPassword()); err != nil {
		return nil, err
	}
	return connect.NewResponse(&usersv1.ChangeOwnPasswordResponse{}), nil
}

// GetPasswordRequirements implements UserService.GetPasswordRequirements.
func (h *Handler) GetPasswordRequirements(ctx context.Context, _ *connect.Request[usersv1.GetPasswordRequirementsRequest]) (*connect.Response[usersv1.GetPasswordRequirementsResponse], error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	r, err := h.svc.Requirements(ctx)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&usersv1.GetPasswordRequirementsResponse{
		MinLength: int32(r.MinLength), RememberedPasswords: int32(r.RememberedPasswords),
		StrengthCheck: r.StrengthCheck, PassphraseSuggestions: r.PassphraseSuggestions,
		CanChangePassword: p.Source == principal.SourceLocal,
	}), nil
}

// SuggestPassphrase implements UserService.SuggestPassphrase.
func (h *Handler) SuggestPassphrase(ctx context.Context, _ *connect.Request[usersv1.SuggestPassphraseRequest]) (*connect.Response[usersv1.SuggestPassphraseResponse], error) {
	s, err := h.svc.SuggestPassphrase(ctx)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&usersv1.SuggestPassphraseResponse{Suggestion: s}), nil
}

// GetLocalSecurityPolicy implements UserService.GetLocalSecurityPolicy.
func (h *Handler) GetLocalSecurityPolicy(ctx context.Context, _ *connect.Request[usersv1.GetLocalSecurityPolicyRequest]) (*connect.Response[usersv1.GetLocalSecurityPolicyResponse], error) {
	p, err := h.svc.Policy(ctx)
	if err != nil {
		return nil, err
	}
	d, err := h.svc.Dictionary(ctx)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&usersv1.GetLocalSecurityPolicyResponse{Policy: policy(p), Dictionary: dictionary(d)}), nil
}

// UpdateLocalSecurityPolicy implements UserService.UpdateLocalSecurityPolicy.
func (h *Handler) UpdateLocalSecurityPolicy(ctx context.Context, req *connect.Request[usersv1.UpdateLocalSecurityPolicyRequest]) (*connect.Response[usersv1.UpdateLocalSecurityPolicyResponse], error) {
	m := req.Msg
	var u users.PolicyUpdate
	if l := m.GetPasswordLength(); l != nil {
		u.Length = &users.LengthPolicy{Enabled: l.GetEnabled(), MinLength: int(l.GetMinLength())}
	}
	if r := m.GetPasswordReuse(); r != nil {
		u.Reuse = &users.ReusePolicy{Enabled: r.GetEnabled(), Remembered: int(r.GetRememberedPasswords())}
	}
	if s := m.GetPasswordStrength(); s != nil {
		u.Strength = &users.StrengthPolicy{Enabled: s.GetEnabled()}
	}
	if g := m.GetPassphraseGenerator(); g != nil {
		u.Generator = &users.GeneratorPolicy{Enabled: g.GetEnabled(), WordCount: int(g.GetWordCount())}
	}
	p, err := h.svc.UpdatePolicy(ctx, u)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&usersv1.UpdateLocalSecurityPolicyResponse{Policy: policy(p)}), nil
}

// UploadPassphraseDictionary implements UserService.UploadPassphraseDictionary.
func (h *Handler) UploadPassphraseDictionary(ctx context.Context, req *connect.Request[usersv1.UploadPassphraseDictionaryRequest]) (*connect.Response[usersv1.UploadPassphraseDictionaryResponse], error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	d, err := h.svc.UploadDictionary(ctx, req.Msg.GetContent(), p)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&usersv1.UploadPassphraseDictionaryResponse{Dictionary: dictionary(d)}), nil
}

// GetPassphraseDictionary implements UserService.GetPassphraseDictionary.
func (h *Handler) GetPassphraseDictionary(ctx context.Context, _ *connect.Request[usersv1.GetPassphraseDictionaryRequest]) (*connect.Response[usersv1.GetPassphraseDictionaryResponse], error) {
	d, err := h.svc.Dictionary(ctx)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&usersv1.GetPassphraseDictionaryResponse{Dictionary: dictionary(d)}), nil
}

// DeletePassphraseDictionary implements UserService.DeletePassphraseDictionary.
func (h *Handler) DeletePassphraseDictionary(ctx context.Context, _ *connect.Request[usersv1.DeletePassphraseDictionaryRequest]) (*connect.Response[usersv1.DeletePassphraseDictionaryResponse], error) {
	d, err := h.svc.DeleteDictionary(ctx)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&usersv1.DeletePassphraseDictionaryResponse{Dictionary: dictionary(d)}), nil
}

// GetAuthDirectory implements UserService.GetAuthDirectory.
func (h *Handler) GetAuthDirectory(ctx context.Context, _ *connect.Request[usersv1.GetAuthDirectoryRequest]) (*connect.Response[usersv1.GetAuthDirectoryResponse], error) {
	d, ok, err := h.svc.Directory.Settings(ctx)
	if err != nil {
		return nil, err
	}
	out := &usersv1.GetAuthDirectoryResponse{}
	if ok {
		out.Directory = directory(d)
	}
	return connect.NewResponse(out), nil
}

// UpdateAuthDirectory implements UserService.UpdateAuthDirectory.
func (h *Handler) UpdateAuthDirectory(ctx context.Context, req *connect.Request[usersv1.UpdateAuthDirectoryRequest]) (*connect.Response[usersv1.UpdateAuthDirectoryResponse], error) {
	p, _ := principal.From(ctx)
	d, warnings, err := h.svc.Directory.Update(ctx, p, directorySettings(req.Msg.GetDirectory()), req.Msg.GetBindPassword())
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&usersv1.UpdateAuthDirectoryResponse{Directory: directory(d), Warnings: toWarnings(warnings)}), nil
}

// TestAuthDirectoryConnection implements UserService.TestAuthDirectoryConnection.
func (h *Handler) TestAuthDirectoryConnection(ctx context.Context, req *connect.Request[usersv1.TestAuthDirectoryConnectionRequest]) (*connect.Response[usersv1.TestAuthDirectoryConnectionResponse], error) {
	var cfg *users.DirectorySettings
	if d := req.Msg.GetDirectory(); d != nil {
		c := directorySettings(d)
		cfg = &c
	}
	result, msg, err := h.svc.Directory.Test(ctx, cfg, req.Msg.GetBindPassword())
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&usersv1.TestAuthDirectoryConnectionResponse{Result: testResults[result], Message: msg}), nil
}

// CreateLdapGroup implements UserService.CreateLdapGroup.
func (h *Handler) CreateLdapGroup(ctx context.Context, req *connect.Request[usersv1.CreateLdapGroupRequest]) (*connect.Response[usersv1.CreateLdapGroupResponse], error) {
	p, _ := principal.From(ctx)
	g, warnings, link, err := h.svc.CreateGroupWithLink(ctx, p, req.Msg.GetDn(), apiauthv1.DomainRole(req.Msg.GetRole()))
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&usersv1.CreateLdapGroupResponse{Group: group(g), Warnings: toWarnings(warnings), SignInLink: link}), nil
}

// ListLdapGroups implements UserService.ListLdapGroups.
func (h *Handler) ListLdapGroups(ctx context.Context, req *connect.Request[usersv1.ListLdapGroupsRequest]) (*connect.Response[usersv1.ListLdapGroupsResponse], error) {
	groups, next, err := h.svc.ListGroups(ctx, req.Msg.GetSearch(), int(req.Msg.GetPageSize()), req.Msg.GetPageToken())
	if err != nil {
		return nil, err
	}
	out := &usersv1.ListLdapGroupsResponse{NextPageToken: next}
	for _, g := range groups {
		out.Groups = append(out.Groups, group(g))
	}
	return connect.NewResponse(out), nil
}

// UpdateLdapGroup implements UserService.UpdateLdapGroup.
func (h *Handler) UpdateLdapGroup(ctx context.Context, req *connect.Request[usersv1.UpdateLdapGroupRequest]) (*connect.Response[usersv1.UpdateLdapGroupResponse], error) {
	p, _ := principal.From(ctx)
	var in users.GroupUpdate
	in.DN = req.Msg.Dn
	if req.Msg.Role != nil {
		r := apiauthv1.DomainRole(req.Msg.GetRole())
		in.Role = &r
	}
	g, warnings, err := h.svc.UpdateGroup(ctx, p, int(req.Msg.GetId()), in)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&usersv1.UpdateLdapGroupResponse{Group: group(g), Warnings: toWarnings(warnings)}), nil
}

// DeleteLdapGroup implements UserService.DeleteLdapGroup.
func (h *Handler) DeleteLdapGroup(ctx context.Context, req *connect.Request[usersv1.DeleteLdapGroupRequest]) (*connect.Response[usersv1.DeleteLdapGroupResponse], error) {
	p, _ := principal.From(ctx)
	warnings, err := h.svc.DeleteGroup(ctx, p, int(req.Msg.GetId()))
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&usersv1.DeleteLdapGroupResponse{Warnings: toWarnings(warnings)}), nil
}

// CheckLdapGroup implements UserService.CheckLdapGroup.
func (h *Handler) CheckLdapGroup(ctx context.Context, req *connect.Request[usersv1.CheckLdapGroupRequest]) (*connect.Response[usersv1.CheckLdapGroupResponse], error) {
	c, err := h.svc.Directory.CheckGroup(ctx, req.Msg.GetDn())
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&usersv1.CheckLdapGroupResponse{Found: c.Found, DirectMemberCount: int32(c.DirectMemberCount)}), nil
}

// ListLdapGroupMembers implements UserService.ListLdapGroupMembers.
func (h *Handler) ListLdapGroupMembers(ctx context.Context, req *connect.Request[usersv1.ListLdapGroupMembersRequest]) (*connect.Response[usersv1.ListLdapGroupMembersResponse], error) {
	page, err := h.svc.Directory.ListGroupMembers(ctx, req.Msg.GetDn(), int(req.Msg.GetPageSize()), req.Msg.GetPageToken())
	if err != nil {
		return nil, err
	}
	out := &usersv1.ListLdapGroupMembersResponse{NextPageToken: page.NextPageToken, TotalCount: int32(page.Total), Truncated: page.Truncated}
	for _, m := range page.Members {
		out.Members = append(out.Members, &usersv1.LdapGroupMember{Username: m.Username, DisplayName: m.DisplayName, Dn: m.DN})
	}
	return connect.NewResponse(out), nil
}

func ts(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

func localUser(u users.LocalUser) *usersv1.LocalUser {
	return &usersv1.LocalUser{Username: u.Username, FirstName: u.FirstName, LastName: u.LastName,
		Role: apiauthv1.Role(u.Role), CreateTime: ts(u.CreateTime), UpdateTime: ts(u.UpdateTime), LastSignInTime: ts(u.LastSignInTime)}
}

func adminWarnings(localAdmins int) []usersv1.Warning {
	if localAdmins == 0 {
		return []usersv1.Warning{usersv1.Warning_WARNING_NO_LOCAL_ADMIN}
	}
	return nil
}

func toWarnings(ws []users.Warning) []usersv1.Warning {
	var out []usersv1.Warning
	for _, w := range ws {
		switch w {
		case users.WarningNoLocalAdmin:
			out = append(out, usersv1.Warning_WARNING_NO_LOCAL_ADMIN)
		case users.WarningEditAsLocalAdmin:
			out = append(out, usersv1.Warning_WARNING_EDIT_AS_LOCAL_ADMIN_RECOMMENDED)
		}
	}
	return out
}

func policy(p users.Policy) *usersv1.LocalSecurityPolicy {
	reuse := &usersv1.PasswordReusePolicy{Enabled: p.Reuse.Enabled}
	if p.Reuse.Remembered > 0 {
		reuse.RememberedPasswords = proto.Int32(int32(p.Reuse.Remembered))
	}
	return &usersv1.LocalSecurityPolicy{
		PasswordLength:      &usersv1.PasswordLengthPolicy{Enabled: p.Length.Enabled, MinLength: proto.Int32(int32(p.Length.MinLength))},
		PasswordReuse:       reuse,
		PasswordStrength:    &usersv1.PasswordStrengthPolicy{Enabled: p.Strength.Enabled},
		PassphraseGenerator: &usersv1.PassphraseGenerator{Enabled: p.Generator.Enabled, WordCount: proto.Int32(int32(p.Generator.WordCount))},
	}
}

func dictionary(d users.DictionaryInfo) *usersv1.PassphraseDictionary {
	return &usersv1.PassphraseDictionary{WordCount: int32(d.WordCount), Sha256: d.SHA256, BuiltIn: d.BuiltIn,
		UploadTime: ts(d.UploadTime), UploadedBy: d.UploadedBy}
}

var securities = map[usersv1.ConnectionSecurity]users.Security{
	usersv1.ConnectionSecurity_CONNECTION_SECURITY_PLAIN:    users.SecurityPlain,
	usersv1.ConnectionSecurity_CONNECTION_SECURITY_LDAPS:    users.SecurityLDAPS,
	usersv1.ConnectionSecurity_CONNECTION_SECURITY_STARTTLS: users.SecurityStartTLS,
}

var testResults = map[users.TestResult]usersv1.DirectoryTestResult{
	users.TestOK:            usersv1.DirectoryTestResult_DIRECTORY_TEST_RESULT_OK,
	users.TestUnreachable:   usersv1.DirectoryTestResult_DIRECTORY_TEST_RESULT_UNREACHABLE,
	users.TestTLSFailure:    usersv1.DirectoryTestResult_DIRECTORY_TEST_RESULT_TLS_FAILURE,
	users.TestBindRefused:   usersv1.DirectoryTestResult_DIRECTORY_TEST_RESULT_BIND_REFUSED,
	users.TestBaseDNMissing: usersv1.DirectoryTestResult_DIRECTORY_TEST_RESULT_BASE_DN_MISSING,
	users.TestTimeout:       usersv1.DirectoryTestResult_DIRECTORY_TEST_RESULT_TIMEOUT,
}

func directorySettings(d *usersv1.AuthDirectory) users.DirectorySettings {
	out := users.DirectorySettings{
		Enabled: d.GetEnabled(), Address: d.GetAddress(), Port: int(d.GetPort()), Security: securities[d.GetSecurity()],
		BindDN: d.GetBindDn(), BaseDN: d.GetBaseDn(), UsernameAttribute: d.GetUsernameAttribute(),
		GroupBaseDN: d.GetGroupBaseDn(), CACertificatesPEM: d.GetCaCertificatesPem(), CheckCRL: d.GetCheckCrl(),
	}
	if d.GetTimeout() != nil {
		out.Timeout = d.GetTimeout().AsDuration()
	}
	return out
}

func directory(d users.DirectorySettings) *usersv1.AuthDirectory {
	out := &usersv1.AuthDirectory{
		Enabled: d.Enabled, Address: d.Address, Port: uint32(d.Port), BindDn: d.BindDN, BindPasswordSet: d.BindPasswordSet,
		BaseDn: d.BaseDN, UsernameAttribute: d.UsernameAttribute, GroupBaseDn: d.GroupBaseDN,
		CaCertificatesPem: d.CACertificatesPEM, CheckCrl: d.CheckCRL, Timeout: durationpb.New(d.Timeout), UpdateTime: ts(d.UpdateTime),
	}
	for k, v := range securities {
		if v == d.Security {
			out.Security = k
		}
	}
	return out
}

func group(g users.LdapGroup) *usersv1.LdapGroup {
	return &usersv1.LdapGroup{Id: int64(g.ID), Dn: g.DN, Role: apiauthv1.Role(g.Role), CreateTime: ts(g.CreateTime), UpdateTime: ts(g.UpdateTime)}
}

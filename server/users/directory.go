package users

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/server/platform/audit"
	"github.com/switchboardhq/switchboard/server/platform/errs"
	"github.com/switchboardhq/switchboard/server/platform/principal"
	"github.com/switchboardhq/switchboard/server/platform/secrets"
	"github.com/switchboardhq/switchboard/server/platform/settings"
)

// directoryKey is where the sign-in directory settings are stored.
const directoryKey = "users.directory"

// bindPasswordAD binds a sealed bind password to its purpose, so that a
// sealed value cannot be moved to another setting.
const bindPasswordAD = "users.directory.bind_password"

// Security is how the directory connection is protected.
type Security string

// The securities, with their default ports.
const (
	SecurityPlain    Security = "plain"
	SecurityLDAPS    Security = "ldaps"
	SecurityStartTLS Security = "starttls"
)

// Directory timeouts (IM-35).
const (
	DefaultDirectoryTimeout = 5 * time.Second
	MinDirectoryTimeout     = time.Second
	MaxDirectoryTimeout     = time.Minute
)

// Warning is a condition an administrator should act on.
type Warning string

// The warnings.
const (
	WarningNoLocalAdmin     Warning = "NO_LOCAL_ADMIN"
	WarningEditAsLocalAdmin Warning = "EDIT_AS_LOCAL_ADMIN_RECOMMENDED"
)

// editWarnings recommends that a local administrator change the directory
// and its groups, when the caller is a directory user (AU-33).
func editWarnings(caller *principal.Principal) []Warning {
	if caller != nil && caller.Source == principal.SourceLDAP {
		return []Warning{WarningEditAsLocalAdmin}
	}
	return nil
}

// DirectorySettings is the sign-in directory as administrators see it:
// the bind password is never part of it.
type DirectorySettings struct {
	Enabled           bool          `json:"enabled"`
	Address           string        `json:"address"`
	Port              int           `json:"port"` // 0: the default for Security
	Security          Security      `json:"security"`
	BindDN            string        `json:"bind_dn"`
	BaseDN            string        `json:"base_dn"`
	UsernameAttribute string        `json:"username_attribute"`
	GroupBaseDN       string        `json:"group_base_dn"`
	CACertificatesPEM string        `json:"ca_certificates_pem"`
	CheckCRL          bool          `json:"check_crl"`
	Timeout           time.Duration `json:"timeout"`
	UpdateTime        time.Time     `json:"update_time"`
	// BindPasswordSet is read-only: whether a bind password is stored.
	BindPasswordSet bool `json:"-"`
}

// storedDirectory is the stored form, with the password sealed.
type storedDirectory struct {
	DirectorySettings
	SealedBindPassword string `json:"sealed_bind_password,omitempty"`
}

// EffectivePort is Port, or the default for the security.
func (d DirectorySettings) EffectivePort() int {
	if d.Port != 0 {
		return d.Port
	}
	if d.Security == SecurityLDAPS {
		return 636
	}
	return 389
}

func (d DirectorySettings) hostPort() string {
	return net.JoinHostPort(d.Address, itoa(d.EffectivePort()))
}

func (d DirectorySettings) groupBase() string {
	if d.GroupBaseDN != "" {
		return d.GroupBaseDN
	}
	return d.BaseDN
}

func (d DirectorySettings) timeout() time.Duration {
	if d.Timeout <= 0 {
		return DefaultDirectoryTimeout
	}
	return d.Timeout
}

// validate checks the cross-field rules; field rules are in the proto.
func (d *DirectorySettings) validate(bindPassword string) error {
	d.Address = strings.TrimSpace(d.Address)
	switch {
	case d.Address == "":
		return errs.Invalid("directory.address", "is required")
	case d.Security != SecurityPlain && d.Security != SecurityLDAPS && d.Security != SecurityStartTLS:
		return errs.Invalid("directory.security", "must be PLAIN, LDAPS or STARTTLS")
	case d.Port < 0 || d.Port > 65535:
		return errs.Invalid("directory.port", "must be between 1 and 65535, or 0 for the default")
	case d.BindDN != "" && bindPassword == "":
		return errs.Invalid("bind_password", "is required whenever a bind DN is set; enter it again to save")
	case d.BindDN == "" && bindPassword != "":
		return errs.Invalid("bind_dn", "is required with a bind password")
	case d.UsernameAttribute == "":
		return errs.Invalid("directory.username_attribute", "is required")
	case d.Security == SecurityPlain && d.CACertificatesPEM != "":
		return errs.Invalid("directory.ca_certificates_pem", "needs LDAPS or STARTTLS")
	case d.Security == SecurityPlain && d.CheckCRL:
		return errs.Invalid("directory.check_crl", "needs LDAPS or STARTTLS")
	case d.Timeout != 0 && (d.Timeout < MinDirectoryTimeout || d.Timeout > MaxDirectoryTimeout):
		return errs.Invalid("directory.timeout", "must be between 1 and 60 seconds")
	}
	for field, dn := range map[string]string{"directory.bind_dn": d.BindDN, "directory.base_dn": d.BaseDN, "directory.group_base_dn": d.GroupBaseDN} {
		if dn == "" {
			continue
		}
		if _, err := ldap.ParseDN(dn); err != nil {
			return errs.Invalid(field, "is not a valid distinguished name")
		}
	}
	if d.BaseDN == "" {
		return errs.Invalid("directory.base_dn", "is required")
	}
	if d.CACertificatesPEM != "" {
		if !x509.NewCertPool().AppendCertsFromPEM([]byte(d.CACertificatesPEM)) {
			return errs.Invalid("directory.ca_certificates_pem", "holds no PEM certificate")
		}
	}
	if d.Timeout == 0 {
		d.Timeout = DefaultDirectoryTimeout
	}
	return nil
}

// Directory is the LDAP sign-in directory: its settings, a small pool of
// connections bound as the service account, and the sign-in
// authenticator. Every operation is bounded by the configured timeout, and
// at most maxOpen connections exist, so a directory that hangs costs a
// sign-in of a directory user at most the timeout and never holds up local
// sign-in or other RPCs (IM-35).
type Directory struct {
	db   *ent.Client
	box  *secrets.Box
	log  *slog.Logger
	now  func() time.Time
	pool *pool
}

// load returns the stored settings and the bind password, or ok false when
// no directory was ever configured.
func (d *Directory) load(ctx context.Context) (cfg DirectorySettings, password string, ok bool, err error) {
	var st storedDirectory
	found, err := settings.Get(ctx, d.db, directoryKey, &st)
	if err != nil || !found {
		return DirectorySettings{}, "", false, err
	}
	if st.SealedBindPassword != "" {
		if password, err = d.box.OpenString(st.SealedBindPassword, bindPasswordAD); err != nil {
			return DirectorySettings{}, "", false, errs.Wrap(err, errs.Internal, errs.ReasonInternal,
				"the stored bind password cannot be opened with this server's secret key")
		}
	}
	st.DirectorySettings.BindPasswordSet = st.SealedBindPassword != ""
	return st.DirectorySettings, password, true, nil
}

// Settings returns the sign-in directory, or ok false when none was ever
// configured.
func (d *Directory) Settings(ctx context.Context) (DirectorySettings, bool, error) {
	cfg, _, ok, err := d.load(ctx)
	return cfg, ok, err
}

// Update replaces the sign-in directory settings. The bind password must
// be given whenever a bind DN is (AU-31). It returns the stored settings
// and the warnings for the caller (AU-33).
func (d *Directory) Update(ctx context.Context, caller *principal.Principal, cfg DirectorySettings, bindPassword string) (DirectorySettings, []Warning, error) {
	audit.Annotate(ctx, func(e *audit.Entry) { e.Target = "sign-in directory " + cfg.Address })
	if err := cfg.validate(bindPassword); err != nil {
		return DirectorySettings{}, nil, err
	}
	cfg.UpdateTime = d.now().UTC()
	st := storedDirectory{DirectorySettings: cfg}
	if bindPassword != "" {
		sealed, err := d.box.SealString(bindPassword, bindPasswordAD)
		if err != nil {
			return DirectorySettings{}, nil, err
		}
		st.SealedBindPassword = sealed
	}
	if err := settings.Put(ctx, d.db, directoryKey, st); err != nil {
		return DirectorySettings{}, nil, err
	}
	d.pool.reset()
	cfg.BindPasswordSet = bindPassword != ""
	return cfg, editWarnings(caller), nil
}

// configKey identifies a configuration, so that pooled connections made
// with another one are not reused.
func configKey(cfg DirectorySettings, password string) string {
	b, _ := json.Marshal(struct {
		DirectorySettings
		P string
	}{cfg, password})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// TestResult is the outcome of a connection test.
type TestResult string

// The test results (IM-18).
const (
	TestOK            TestResult = "OK"
	TestUnreachable   TestResult = "UNREACHABLE"
	TestTLSFailure    TestResult = "TLS_FAILURE"
	TestBindRefused   TestResult = "BIND_REFUSED"
	TestBaseDNMissing TestResult = "BASE_DN_MISSING"
	TestTimeout       TestResult = "TIMEOUT"
)

// Test connects, binds and reads the base DN with cfg and bindPassword, or
// with the stored settings when cfg is nil. A failed test is a result, not
// an error. The stored password is never sent to settings given here.
func (d *Directory) Test(ctx context.Context, cfg *DirectorySettings, bindPassword string) (TestResult, string, error) {
	audit.Annotate(ctx, func(e *audit.Entry) { e.Target = "sign-in directory" })
	var password string
	if cfg == nil {
		stored, pw, ok, err := d.load(ctx)
		if err != nil {
			return "", "", err
		}
		if !ok {
			return "", "", errs.New(errs.FailedPrecondition, errs.ReasonFailedPrecondition, "no sign-in directory is configured")
		}
		cfg, password = &stored, pw
	} else {
		if err := cfg.validate(bindPassword); err != nil {
			return "", "", err
		}
		password = bindPassword
	}
	c, err := dial(ctx, *cfg, password)
	if err != nil {
		var oe *opError
		if errors.As(err, &oe) {
			return oe.result, oe.Error(), nil
		}
		return "", "", err
	}
	defer c.close()
	_, err = c.search(ldap.NewSearchRequest(cfg.BaseDN, ldap.ScopeBaseObject, ldap.NeverDerefAliases, 1, 0, false,
		"(objectClass=*)", []string{"1.1"}, nil))
	if err != nil {
		if ldap.IsErrorWithCode(err, ldap.LDAPResultNoSuchObject) {
			return TestBaseDNMissing, "the base DN " + cfg.BaseDN + " does not exist", nil
		}
		oe := classify(err, TestUnreachable)
		return oe.result, oe.Error(), nil
	}
	return TestOK, "connected, bound and found the base DN", nil
}

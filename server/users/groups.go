package users

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/ldapgroup"
	"github.com/switchboardhq/switchboard/server/platform/audit"
	"github.com/switchboardhq/switchboard/server/platform/database"
	"github.com/switchboardhq/switchboard/server/platform/errs"
	"github.com/switchboardhq/switchboard/server/platform/paging"
	"github.com/switchboardhq/switchboard/server/platform/principal"
)

// LdapGroup maps a directory group to a role.
type LdapGroup struct {
	ID         int
	DN         string
	Role       principal.Role
	CreateTime time.Time
	UpdateTime time.Time
}

func toGroup(g *ent.LdapGroup) LdapGroup {
	return LdapGroup{ID: g.ID, DN: g.Dn, Role: principal.Role(g.Role), CreateTime: g.CreateTime, UpdateTime: g.UpdateTime}
}

func groupKey(dn string) (string, error) {
	key, err := NormalizeDN(strings.TrimSpace(dn))
	if err != nil {
		return "", errs.Invalid("dn", "is not a valid distinguished name, e.g. cn=operators,ou=groups,dc=example,dc=org")
	}
	if len(key) > 1024 {
		return "", errs.Invalid("dn", "must be at most 1024 characters")
	}
	return key, nil
}

func groupNotFound(id int) error {
	return errs.New(errs.NotFound, errs.ReasonNotFound, "no LDAP group mapping %d", id)
}

func groupExists(dn string) error {
	return errs.New(errs.AlreadyExists, errs.ReasonAlreadyExists, "the group %s is already mapped", dn)
}

// CreateGroup maps a group DN to a role (AU-34). Members can sign in at
// once.
func (s *Service) CreateGroup(ctx context.Context, caller *principal.Principal, dn string, role principal.Role) (LdapGroup, []Warning, error) {
	dn = strings.TrimSpace(dn)
	audit.Annotate(ctx, func(e *audit.Entry) { e.Target = dn })
	key, err := groupKey(dn)
	if err != nil {
		return LdapGroup{}, nil, err
	}
	if err := checkRole("role", role); err != nil {
		return LdapGroup{}, nil, err
	}
	g, err := s.db.LdapGroup.Create().SetDn(dn).SetDnKey(key).SetRole(ldapgroup.Role(role)).Save(ctx)
	if err != nil {
		if err = database.Translate(err); errs.KindOf(err) == errs.AlreadyExists {
			return LdapGroup{}, nil, groupExists(dn)
		}
		return LdapGroup{}, nil, err
	}
	return toGroup(g), editWarnings(caller), nil
}

// ListGroups returns group mappings in DN order, filtered by a
// case-insensitive search on the DN.
func (s *Service) ListGroups(ctx context.Context, search string, pageSize int, pageToken string) ([]LdapGroup, string, error) {
	size := paging.Size(pageSize)
	after, ok, err := paging.Cursor("ldap_groups", pageToken)
	if err != nil {
		return nil, "", err
	}
	q := s.db.LdapGroup.Query()
	if search = strings.TrimSpace(search); search != "" {
		q = q.Where(ldapgroup.DnContainsFold(search))
	}
	if ok {
		q = q.Where(ldapgroup.DnKeyGT(after))
	}
	rows, err := q.Order(ent.Asc(ldapgroup.FieldDnKey)).Limit(size + 1).All(ctx)
	if err != nil {
		return nil, "", database.Translate(err)
	}
	next := ""
	if len(rows) > size {
		rows = rows[:size]
		next = paging.Token("ldap_groups", rows[len(rows)-1].DnKey)
	}
	out := make([]LdapGroup, 0, len(rows))
	for _, r := range rows {
		out = append(out, toGroup(r))
	}
	return out, next, nil
}

// GroupUpdate holds the changes; nil fields stay.
type GroupUpdate struct {
	DN   *string
	Role *principal.Role
}

// UpdateGroup changes a mapping (AU-38).
func (s *Service) UpdateGroup(ctx context.Context, caller *principal.Principal, id int, in GroupUpdate) (LdapGroup, []Warning, error) {
	g, err := s.db.LdapGroup.Get(ctx, id)
	if ent.IsNotFound(err) {
		return LdapGroup{}, nil, groupNotFound(id)
	}
	if err != nil {
		return LdapGroup{}, nil, database.Translate(err)
	}
	audit.Annotate(ctx, func(e *audit.Entry) { e.Target = g.Dn })
	upd := s.db.LdapGroup.UpdateOne(g)
	if in.DN != nil {
		dn := strings.TrimSpace(*in.DN)
		key, err := groupKey(dn)
		if err != nil {
			return LdapGroup{}, nil, err
		}
		upd.SetDn(dn).SetDnKey(key)
	}
	if in.Role != nil {
		if err := checkRole("role", *in.Role); err != nil {
			return LdapGroup{}, nil, err
		}
		upd.SetRole(ldapgroup.Role(*in.Role))
	}
	g, err = upd.Save(ctx)
	if err != nil {
		if err = database.Translate(err); errs.KindOf(err) == errs.AlreadyExists {
			return LdapGroup{}, nil, groupExists(*in.DN)
		}
		return LdapGroup{}, nil, err
	}
	return toGroup(g), editWarnings(caller), nil
}

// DeleteGroup removes a mapping (AU-38).
func (s *Service) DeleteGroup(ctx context.Context, caller *principal.Principal, id int) ([]Warning, error) {
	g, err := s.db.LdapGroup.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, groupNotFound(id)
	}
	if err != nil {
		return nil, database.Translate(err)
	}
	audit.Annotate(ctx, func(e *audit.Entry) { e.Target = g.Dn })
	if err := s.db.LdapGroup.DeleteOne(g).Exec(ctx); err != nil && !ent.IsNotFound(err) {
		return nil, database.Translate(err)
	}
	return editWarnings(caller), nil
}

// CreateGroupWithLink is CreateGroup that also returns the sign-in link to
// give the group's members (AU-37); the link is "" while no address is set.
// A failure to build the link does not undo the mapping: it is logged and
// the link left empty.
func (s *Service) CreateGroupWithLink(ctx context.Context, caller *principal.Principal, dn string, role principal.Role) (LdapGroup, []Warning, string, error) {
	g, warnings, err := s.CreateGroup(ctx, caller, dn, role)
	if err != nil || s.SignInLink == nil {
		return g, warnings, "", err
	}
	link, lerr := s.SignInLink(ctx)
	if lerr != nil {
		s.log.WarnContext(ctx, "cannot build the sign-in link", slog.Any("error", lerr))
		return g, warnings, "", nil
	}
	return g, warnings, link, nil
}

package auth

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/apitoken"
	"github.com/switchboardhq/switchboard/server/platform/audit"
	"github.com/switchboardhq/switchboard/server/platform/database"
	"github.com/switchboardhq/switchboard/server/platform/errs"
	"github.com/switchboardhq/switchboard/server/platform/paging"
	"github.com/switchboardhq/switchboard/server/platform/principal"
)

// MaxAPITokenLifetime bounds an API token's expiry.
const MaxAPITokenLifetime = 2 * 366 * 24 * time.Hour

// lastUseGranularity limits last-use writes to one a minute per token.
const lastUseGranularity = time.Minute

// APIToken describes an API token (never its secret).
type APIToken struct {
	ID          int
	Name        string
	Role        principal.Role
	Prefix      string
	CreatedBy   string
	CreateTime  time.Time
	ExpireTime  time.Time
	LastUseTime time.Time // zero if never used
}

func toAPIToken(t *ent.ApiToken) APIToken {
	out := APIToken{ID: t.ID, Name: t.Name, Role: principal.Role(t.Role), Prefix: t.Prefix, CreatedBy: t.CreatedBy,
		CreateTime: t.CreateTime, ExpireTime: t.ExpireTime}
	if t.LastUseTime != nil {
		out.LastUseTime = *t.LastUseTime
	}
	return out
}

// CreateAPIToken stores a new API token and returns it with its secret,
// which exists nowhere else.
func (s *Service) CreateAPIToken(ctx context.Context, name string, role principal.Role, expire time.Time, createdBy string) (APIToken, string, error) {
	audit.Annotate(ctx, func(e *audit.Entry) { e.Target = "api token " + name })
	name = strings.TrimSpace(name)
	if name == "" {
		return APIToken{}, "", errs.Invalid("name", "must not be blank")
	}
	if role != principal.RoleAdministrator && role != principal.RoleVideoOperator {
		return APIToken{}, "", errs.Invalid("role", "must be ROLE_ADMINISTRATOR or ROLE_VIDEO_OPERATOR")
	}
	now := s.opts.Now().UTC()
	if !expire.After(now) {
		return APIToken{}, "", errs.Invalid("expire_time", "must be in the future")
	}
	if expire.After(now.Add(MaxAPITokenLifetime)) {
		return APIToken{}, "", errs.Invalid("expire_time", "must be at most two years ahead")
	}
	secret, digest, err := newToken(apiTokenPrefix)
	if err != nil {
		return APIToken{}, "", err
	}
	t, err := s.db.ApiToken.Create().SetName(name).SetTokenHash(digest).SetPrefix(secret[:len(apiTokenPrefix)+6]).
		SetRole(apitoken.Role(role)).SetCreatedBy(createdBy).SetCreateTime(now).SetExpireTime(expire.UTC()).Save(ctx)
	if err != nil {
		err = database.Translate(err)
		if errs.KindOf(err) == errs.AlreadyExists {
			return APIToken{}, "", errs.New(errs.AlreadyExists, errs.ReasonAlreadyExists, "an API token named %q already exists", name)
		}
		return APIToken{}, "", err
	}
	return toAPIToken(t), secret, nil
}

// ListAPITokens returns API tokens, newest first, a page at a time.
func (s *Service) ListAPITokens(ctx context.Context, pageSize int, pageToken string) (Page[APIToken], error) {
	size := paging.Size(pageSize)
	after, ok, err := paging.IntCursor("api_tokens", pageToken)
	if err != nil {
		return Page[APIToken]{}, err
	}
	q := s.db.ApiToken.Query()
	if ok {
		q = q.Where(apitoken.IDLT(after))
	}
	rows, err := q.Order(ent.Desc(apitoken.FieldID)).Limit(size + 1).All(ctx)
	if err != nil {
		return Page[APIToken]{}, database.Translate(err)
	}
	var page Page[APIToken]
	if len(rows) > size {
		rows = rows[:size]
		page.NextPageToken = paging.IntToken("api_tokens", rows[len(rows)-1].ID)
	}
	for _, r := range rows {
		page.Items = append(page.Items, toAPIToken(r))
	}
	return page, nil
}

// DeleteAPIToken revokes an API token.
func (s *Service) DeleteAPIToken(ctx context.Context, id int) error {
	t, err := s.db.ApiToken.Get(ctx, id)
	if ent.IsNotFound(err) {
		return errs.New(errs.NotFound, errs.ReasonNotFound, "no API token %d", id)
	}
	if err != nil {
		return database.Translate(err)
	}
	audit.Annotate(ctx, func(e *audit.Entry) { e.Target = "api token " + t.Name })
	return database.Translate(s.db.ApiToken.DeleteOneID(id).Exec(ctx))
}

func (s *Service) authenticateAPIToken(ctx context.Context, token string) (*principal.Principal, error) {
	t, err := s.db.ApiToken.Query().Where(apitoken.TokenHash(digestOf(token))).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, errs.New(errs.Unauthenticated, errs.ReasonUnauthenticated, "the API token is not valid or was revoked")
	}
	if err != nil {
		return nil, database.Translate(err)
	}
	now := s.opts.Now().UTC()
	if !now.Before(t.ExpireTime) {
		return nil, errs.New(errs.Unauthenticated, errs.ReasonSessionExpired, "the API token has expired")
	}
	if t.LastUseTime == nil || now.Sub(*t.LastUseTime) >= lastUseGranularity {
		if err := s.db.ApiToken.UpdateOneID(t.ID).SetLastUseTime(now).Exec(ctx); err != nil {
			s.log.WarnContext(ctx, "cannot record API token use", slog.Any("error", err))
		}
	}
	return &principal.Principal{
		Username:    t.Name,
		DisplayName: t.Name,
		Role:        principal.Role(t.Role),
		Source:      principal.SourceAPIToken,
		APITokenID:  t.ID,
		ExpireTime:  t.ExpireTime,
	}, nil
}

package notifications

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/notification"
	"github.com/switchboardhq/switchboard/ent/predicate"
	"github.com/switchboardhq/switchboard/server/platform/database"
	"github.com/switchboardhq/switchboard/server/platform/errs"
	"github.com/switchboardhq/switchboard/server/platform/paging"
)

// Retention is how long resolved notifications are kept.
const Retention = 7 * 24 * time.Hour

// DefaultPreview is the overview preview size when none is asked for.
const DefaultPreview = 5

// Subject is what a notification is about; the zero value is the system.
type Subject struct {
	Kind, ID, Name string
}

// Notification is one stored condition.
type Notification struct {
	ID          int
	Code        string
	Severity    Severity
	Subject     Subject
	Message     string
	CreateTime  time.Time
	UpdateTime  time.Time
	ResolveTime *time.Time
}

// Summary counts the current notifications.
type Summary struct {
	Total, Errors, Warnings, Information int
}

// Event is one change told to watchers: the notification after the change
// and the summary after it.
type Event struct {
	Notification Notification
	Summary      Summary
}

// Options are what tests may change.
type Options struct {
	Now func() time.Time
}

// Service stores notifications.
type Service struct {
	db  *ent.Client
	log *slog.Logger
	now func() time.Time

	mu       sync.Mutex
	watchers map[chan Event]struct{}
}

// New returns the service.
func New(db *ent.Client, log *slog.Logger, opts Options) *Service {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Service{db: db, log: log, now: opts.Now, watchers: map[chan Event]struct{}{}}
}

func activeKey(code string, s Subject) string { return code + "|" + s.Kind + "|" + s.ID }

// Raise records that the condition code holds for subject, with message.
// Raising a condition that is already current only refreshes its message
// and subject name (when they changed).
func (s *Service) Raise(ctx context.Context, code string, subj Subject, message string) error {
	c, ok := Lookup(code)
	if !ok {
		return errs.New(errs.Internal, errs.ReasonInternal, "notification code %q is not in the catalogue", code)
	}
	key := activeKey(code, subj)
	for attempt := 0; attempt < 2; attempt++ {
		cur, err := s.db.Notification.Query().Where(notification.ActiveKey(key)).Only(ctx)
		switch {
		case err == nil:
			if cur.Message == message && cur.SubjectName == subj.Name && string(cur.Severity) == string(c.Severity) {
				return nil
			}
			n, err := cur.Update().SetMessage(message).SetSubjectName(subj.Name).
				SetSeverity(notification.Severity(c.Severity)).SetUpdateTime(s.now().UTC()).Save(ctx)
			if err != nil {
				return database.Translate(err)
			}
			s.publish(ctx, n)
			return nil
		case ent.IsNotFound(err):
			now := s.now().UTC()
			n, err := s.db.Notification.Create().SetCode(code).SetSeverity(notification.Severity(c.Severity)).
				SetSubjectKind(subj.Kind).SetSubjectID(subj.ID).SetSubjectName(subj.Name).SetMessage(message).
				SetActiveKey(key).SetCreateTime(now).SetUpdateTime(now).Save(ctx)
			if ent.IsConstraintError(err) {
				continue // raised concurrently: refresh that one
			}
			if err != nil {
				return database.Translate(err)
			}
			s.log.InfoContext(ctx, "notification raised", slog.String("code", code), slog.String("subject", subj.Kind+"/"+subj.ID))
			s.publish(ctx, n)
			return nil
		default:
			return database.Translate(err)
		}
	}
	return nil
}

// Clear records that the condition code no longer holds for subject. It
// is a no-op when it was not raised.
func (s *Service) Clear(ctx context.Context, code string, subj Subject) error {
	return s.resolve(ctx, notification.ActiveKey(activeKey(code, subj)))
}

// ClearSubject clears every current notification about a subject (for
// example when a bridge is removed).
func (s *Service) ClearSubject(ctx context.Context, kind, id string) error {
	return s.resolve(ctx, notification.SubjectKind(kind), notification.SubjectID(id), notification.ActiveKeyNotNil())
}

// Set raises code for subj when on, clears it otherwise.
func (s *Service) Set(ctx context.Context, on bool, code string, subj Subject, message string) error {
	if on {
		return s.Raise(ctx, code, subj, message)
	}
	return s.Clear(ctx, code, subj)
}

func (s *Service) resolve(ctx context.Context, where ...predicate.Notification) error {
	list, err := s.db.Notification.Query().Where(append(where, notification.ActiveKeyNotNil())...).All(ctx)
	if err != nil {
		return database.Translate(err)
	}
	for _, cur := range list {
		now := s.now().UTC()
		n, err := cur.Update().ClearActiveKey().SetResolveTime(now).SetUpdateTime(now).Save(ctx)
		if err != nil {
			return database.Translate(err)
		}
		s.log.InfoContext(ctx, "notification cleared", slog.String("code", n.Code), slog.String("subject", n.SubjectKind+"/"+n.SubjectID))
		s.publish(ctx, n)
	}
	return nil
}

// Holding returns which of the given codes currently hold for subjects of
// one kind: subject id -> code -> message.
func (s *Service) Holding(ctx context.Context, kind string, codes ...string) (map[string]map[string]string, error) {
	rows, err := s.db.Notification.Query().Where(notification.ActiveKeyNotNil(), notification.SubjectKind(kind),
		notification.CodeIn(codes...)).All(ctx)
	if err != nil {
		return nil, database.Translate(err)
	}
	out := map[string]map[string]string{}
	for _, n := range rows {
		if out[n.SubjectID] == nil {
			out[n.SubjectID] = map[string]string{}
		}
		out[n.SubjectID][n.Code] = n.Message
	}
	return out, nil
}

// Filter selects notifications to list.
type Filter struct {
	Severity        Severity // empty: all
	SubjectKind     string
	SubjectID       string
	IncludeResolved bool
	PageSize        int
	PageToken       string
}

// Page is one page of a list.
type Page struct {
	Notifications []Notification
	NextPageToken string
	TotalSize     int
}

const cursorKind = "notifications"

// List lists notifications, newest first.
func (s *Service) List(ctx context.Context, f Filter) (Page, error) {
	q := s.db.Notification.Query()
	if f.Severity != "" {
		q = q.Where(notification.SeverityEQ(notification.Severity(f.Severity)))
	}
	if f.SubjectKind != "" {
		q = q.Where(notification.SubjectKind(f.SubjectKind))
	}
	if f.SubjectID != "" {
		q = q.Where(notification.SubjectID(f.SubjectID))
	}
	if f.IncludeResolved {
		q = q.Where(notification.Or(notification.ActiveKeyNotNil(), notification.ResolveTimeGTE(s.now().UTC().Add(-Retention))))
	} else {
		q = q.Where(notification.ActiveKeyNotNil())
	}
	total, err := q.Clone().Count(ctx)
	if err != nil {
		return Page{}, database.Translate(err)
	}
	after, ok, err := paging.IntCursor(cursorKind, f.PageToken)
	if err != nil {
		return Page{}, err
	}
	if ok {
		q = q.Where(notification.IDLT(after))
	}
	size := paging.Size(f.PageSize)
	rows, err := q.Order(ent.Desc(notification.FieldID)).Limit(size + 1).All(ctx)
	if err != nil {
		return Page{}, database.Translate(err)
	}
	page := Page{TotalSize: total}
	if len(rows) > size {
		rows = rows[:size]
		page.NextPageToken = paging.IntToken(cursorKind, rows[size-1].ID)
	}
	for _, r := range rows {
		page.Notifications = append(page.Notifications, toNotification(r))
	}
	return page, nil
}

// Summary counts the current notifications (OV-06); it equals the length
// of the current list at the same instant (OV-07).
func (s *Service) Summary(ctx context.Context) (Summary, error) {
	var rows []struct {
		Severity string `json:"severity"`
		Count    int    `json:"count"`
	}
	err := s.db.Notification.Query().Where(notification.ActiveKeyNotNil()).
		GroupBy(notification.FieldSeverity).Aggregate(ent.Count()).Scan(ctx, &rows)
	if err != nil {
		return Summary{}, database.Translate(err)
	}
	var sum Summary
	for _, r := range rows {
		switch Severity(r.Severity) {
		case Error:
			sum.Errors = r.Count
		case Warning:
			sum.Warnings = r.Count
		case Information:
			sum.Information = r.Count
		}
		sum.Total += r.Count
	}
	return sum, nil
}

// Overview returns the preview (most severe first, then newest) of n
// current notifications and the summary (OV-08).
func (s *Service) Overview(ctx context.Context, n int) ([]Notification, Summary, error) {
	if n <= 0 {
		n = DefaultPreview
	}
	sum, err := s.Summary(ctx)
	if err != nil {
		return nil, Summary{}, err
	}
	var out []Notification
	for _, sev := range []Severity{Error, Warning, Information} {
		if len(out) >= n {
			break
		}
		rows, err := s.db.Notification.Query().Where(notification.ActiveKeyNotNil(), notification.SeverityEQ(notification.Severity(sev))).
			Order(ent.Desc(notification.FieldID)).Limit(n - len(out)).All(ctx)
		if err != nil {
			return nil, Summary{}, database.Translate(err)
		}
		for _, r := range rows {
			out = append(out, toNotification(r))
		}
	}
	return out, sum, nil
}

// PurgeResolved deletes notifications resolved more than Retention ago;
// it is the body of the retention job.
func (s *Service) PurgeResolved(ctx context.Context) (string, error) {
	n, err := s.db.Notification.Delete().Where(notification.ActiveKeyIsNil(),
		notification.ResolveTimeLT(s.now().UTC().Add(-Retention))).Exec(ctx)
	if err != nil {
		return "", database.Translate(err)
	}
	return fmt.Sprintf("%d resolved notifications purged", n), nil
}

// Watch returns a channel of changes until ctx ends. A watcher that does
// not keep up loses events (the channel holds 64); the summary in each
// event is always current, so it catches up with the next one.
func (s *Service) Watch(ctx context.Context) <-chan Event {
	ch := make(chan Event, 64)
	s.mu.Lock()
	s.watchers[ch] = struct{}{}
	s.mu.Unlock()
	go func() {
		<-ctx.Done()
		s.mu.Lock()
		delete(s.watchers, ch)
		s.mu.Unlock()
		close(ch)
	}()
	return ch
}

func (s *Service) publish(ctx context.Context, n *ent.Notification) {
	s.mu.Lock()
	has := len(s.watchers) > 0
	s.mu.Unlock()
	if !has {
		return
	}
	sum, err := s.Summary(context.WithoutCancel(ctx))
	if err != nil {
		s.log.WarnContext(ctx, "notification summary for watchers", slog.Any("error", err))
	}
	ev := Event{Notification: toNotification(n), Summary: sum}
	s.mu.Lock()
	defer s.mu.Unlock()
	for ch := range s.watchers {
		select {
		case ch <- ev:
		default:
		}
	}
}

func toNotification(n *ent.Notification) Notification {
	return Notification{ID: n.ID, Code: n.Code, Severity: Severity(n.Severity),
		Subject: Subject{Kind: n.SubjectKind, ID: n.SubjectID, Name: n.SubjectName},
		Message: n.Message, CreateTime: n.CreateTime.UTC(), UpdateTime: n.UpdateTime.UTC(), ResolveTime: utcPtr(n.ResolveTime)}
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// Sorted returns codes sorted by code, for stable output.
func Sorted(cs []Code) []Code {
	sort.Slice(cs, func(i, j int) bool { return cs[i].Code < cs[j].Code })
	return cs
}

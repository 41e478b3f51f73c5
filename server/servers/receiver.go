package servers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/server/cms"
	"github.com/switchboardhq/switchboard/server/notifications"
	"github.com/switchboardhq/switchboard/server/platform/database"
	"github.com/switchboardhq/switchboard/server/platform/settings"
)

// receiverSettingsKey is the settings section of the CDR receiver address.
const receiverSettingsKey = "servers.cdr_receiver"

type receiverSettings struct {
	Address string `json:"address"`
}

// ReceiverPath is the path of a bridge's CDR URL; the CDR receiver refuses
// posts to any other (ST-16).
func ReceiverPath(bridgeID int) string { return "/cdr/" + strconv.Itoa(bridgeID) }

// ReceiverURL is the URL a bridge is told to post its CDRs to.
func ReceiverURL(address string, bridgeID int) string {
	return "https://" + address + ReceiverPath(bridgeID)
}

// CDRReceiverAddress returns the configured address (ST-14) and its
// warnings (ST-15).
func (s *Service) CDRReceiverAddress(ctx context.Context) (string, []string, error) {
	var v receiverSettings
	if _, err := settings.Get(ctx, s.db, receiverSettingsKey, &v); err != nil {
		return "", nil, err
	}
	_, warnings, _ := normaliseReceiverAddress(v.Address)
	return v.Address, warnings, nil
}

// SetCDRReceiverAddress stores the address and at once re-registers
// Switchboard's receiver on every bridge of every cluster with meeting
// management on (ST-17).
func (s *Service) SetCDRReceiverAddress(ctx context.Context, address string) (string, []string, error) {
	a, warnings, err := normaliseReceiverAddress(address)
	if err != nil {
		return "", nil, err
	}
	if err := settings.Put(ctx, s.db, receiverSettingsKey, receiverSettings{Address: a}); err != nil {
		return "", nil, err
	}
	bridges, err := s.bridgesWithManagement(ctx)
	if err != nil {
		return "", nil, err
	}
	for _, b := range bridges {
		cl, err := s.clientFor(ctx, b)
		if err != nil {
			continue
		}
		if err := s.syncReceiver(ctx, b, cl); err != nil {
			s.log.WarnContext(ctx, "CDR receiver registration", slog.Int("bridge", b.ID), slog.Any("error", err))
		}
	}
	if err := s.checkReceiverAddress(ctx); err != nil {
		return "", nil, err
	}
	return a, warnings, nil
}

// syncReceiver makes Switchboard's entry in b's CDR receiver list match
// what it should be: this bridge's URL while its cluster has meeting
// management on and an address is set, nothing otherwise. Only the entry
// Switchboard created (by id, or by its URL) is ever changed (SV-23).
func (s *Service) syncReceiver(ctx context.Context, b *ent.CallBridge, cl *cms.Client) (err error) {
	m := s.monitorOf(b.ID)
	defer func() {
		s.mu.Lock()
		m.pending = err != nil
		s.mu.Unlock()
	}()
	clu, err := s.db.Cluster.Get(ctx, b.ClusterID)
	if err != nil {
		return database.Translate(err)
	}
	addr, _, err := s.CDRReceiverAddress(ctx)
	if err != nil {
		return err
	}
	subj := notifications.Subject{Kind: notifications.SubjectCallBridge, ID: strconv.Itoa(b.ID), Name: b.DisplayName}
	want := ""
	if clu.MeetingManagement && addr != "" {
		want = ReceiverURL(addr, b.ID)
	}
	list, err := cl.CDRReceivers(ctx)
	if err != nil {
		return err
	}
	var ours *cms.CDRReceiver
	for i := range list.Receivers {
		r := &list.Receivers[i]
		if (b.CdrReceiverID != "" && r.ID == b.CdrReceiverID) || (b.CdrReceiverURI != "" && r.URI == b.CdrReceiverURI) || (want != "" && r.URI == want) {
			ours = r
			break
		}
	}
	clearBoth := func() error {
		if err := s.notes.Clear(ctx, notifications.CodeCDRReceiverListFull, subj); err != nil {
			return err
		}
		return s.notes.Clear(ctx, notifications.CodeCDRReceiverRefused, subj)
	}
	store := func(id, uri string) error {
		return database.Translate(s.db.CallBridge.UpdateOneID(b.ID).SetCdrReceiverID(id).SetCdrReceiverURI(uri).Exec(ctx))
	}
	refused := func(err error) error {
		var ae *cms.APIError
		if errors.As(err, &ae) {
			if rerr := s.notes.Raise(ctx, notifications.CodeCDRReceiverRefused, subj,
				fmt.Sprintf("%s refused Switchboard's CDR receiver registration: %v", b.DisplayName, ae)); rerr != nil {
				return rerr
			}
		}
		return err
	}
	if want == "" {
		if ours != nil {
			if err := cl.DeleteCDRReceiver(ctx, ours.ID); err != nil && !errors.Is(err, cms.ErrNotFound) {
				return err
			}
			s.log.InfoContext(ctx, "CDR receiver removed", slog.Int("bridge", b.ID))
		}
		if err := store("", ""); err != nil {
			return err
		}
		return clearBoth()
	}
	if ours != nil {
		if ours.URI != want {
			if err := cl.UpdateCDRReceiver(ctx, ours.ID, want); err != nil {
				return refused(err)
			}
		}
		if err := store(ours.ID, want); err != nil {
			return err
		}
		return clearBoth()
	}
	limit := list.Maximum
	if limit <= 0 {
		limit = cms.MaxCDRReceivers
	}
	if len(list.Receivers) >= limit {
		if err := s.notes.Raise(ctx, notifications.CodeCDRReceiverListFull, subj,
			fmt.Sprintf("the CDR receiver list of %s is full (%d entries): free a slot so Switchboard can register", b.DisplayName, limit)); err != nil {
			return err
		}
		return errors.New("CDR receiver list full")
	}
	id, err := cl.CreateCDRReceiver(ctx, want)
	if err != nil {
		return refused(err)
	}
	s.log.InfoContext(ctx, "CDR receiver registered", slog.Int("bridge", b.ID), slog.String("uri", want))
	if err := store(id, want); err != nil {
		return err
	}
	return clearBoth()
}

package meetings

import (
	"context"
	"errors"
	"time"

	"github.com/switchboardhq/switchboard/server/cms"
	"github.com/switchboardhq/switchboard/server/platform/errs"
)

// Statistics reads the call statistics of a participant's call legs from
// the bridge now (MT-15), with the time the bridge was asked. They are
// never stored: they are only meaningful at the moment they are read.
func (s *Service) Statistics(ctx context.Context, meetingID, participantID string) ([]LegStatistics, time.Time, error) {
	if err := checkMeetingID(meetingID); err != nil {
		return nil, time.Time{}, err
	}
	if participantID == "" {
		return nil, time.Time{}, errs.Invalid("participant_id", "name a participant")
	}
	t, err := s.target(ctx, meetingID)
	if err != nil {
		return nil, time.Time{}, err
	}
	p, err := t.pick([]string{participantID})
	if err != nil {
		return nil, time.Time{}, err
	}
	return t.statistics(ctx, p[0])
}

// statistics reads p's call leg from the bridge hosting it.
func (t *target) statistics(ctx context.Context, p Participant) ([]LegStatistics, time.Time, error) {
	cl, err := t.client(p.BridgeID)
	if err != nil {
		return nil, time.Time{}, err
	}
	at := time.Now().UTC()
	leg, err := cl.CallLeg(ctx, legOf(p))
	if errors.Is(err, cms.ErrNotFound) {
		return nil, time.Time{}, errs.Wrap(err, errs.NotFound, errs.ReasonNotFound, "%s is no longer in the meeting", who(p))
	}
	if err != nil {
		return nil, time.Time{}, t.refused(err, "read the call statistics of "+who(p))
	}
	return []LegStatistics{legStatistics(leg)}, at, nil
}

// legStatistics converts a call leg's live status. A leg that is not
// connected yet has no media, so only its id and duration are known.
func legStatistics(leg *cms.CallLeg) LegStatistics {
	out := LegStatistics{CallLegID: leg.ID}
	st := leg.Status
	if st == nil {
		return out
	}
	out.Duration = time.Duration(st.DurationSeconds) * time.Second
	out.Encrypted = st.EncryptedMedia != nil && *st.EncryptedMedia
	out.RxAudio, out.TxAudio = audioStats(st.RxAudio), audioStats(st.TxAudio)
	out.RxVideo, out.RxPresentation = videoStats(st.RxVideo)
	out.TxVideo, out.TxPresentation = videoStats(st.TxVideo)
	return out
}

func audioStats(a *cms.AudioStats) *AudioStats {
	if a == nil {
		return nil
	}
	return &AudioStats{
		Codec:             a.Codec,
		BitRate:           num(a.BitRate),
		JitterMS:          num(a.Jitter),
		PacketLossPercent: num(a.PacketLossPercentage),
		RoundTrip:         num(a.RoundTripTime),
	}
}

// videoStats splits a direction's video streams into main video and
// presentation by their role; a stream without a role is main video.
func videoStats(vs []cms.VideoStats) (main, presentation []VideoStats) {
	for _, v := range vs {
		out := VideoStats{
			Codec:             v.Codec,
			Width:             intOf(v.Width),
			Height:            intOf(v.Height),
			FrameRate:         num(v.FrameRate),
			BitRate:           num(v.BitRate),
			JitterMS:          num(v.Jitter),
			PacketLossPercent: num(v.PacketLossPercentage),
			RoundTrip:         num(v.RoundTripTime),
		}
		if v.Role == "presentation" {
			presentation = append(presentation, out)
		} else {
			main = append(main, out)
		}
	}
	return main, presentation
}

func num(d *cms.Decimal) float64 {
	if d == nil {
		return 0
	}
	return float64(*d)
}

func intOf(n *int) int {
	if n == nil {
		return 0
	}
	return *n
}

package meetings

import (
	"github.com/switchboardhq/switchboard/server/cms"
)

// target is where an active meeting runs, for an operator action.
type target struct {
	Meeting Meeting
	// Clients has the wire client of each bridge hosting an instance, by
	// Switchboard bridge id.
	Clients map[int]*cms.Client
	// Participants are the meeting's current (not disconnected)
	// participants by id.
	Participants map[string]Participant
}

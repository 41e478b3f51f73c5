package notifications

// Severity is how urgent a notification is (OV-03).
type Severity string

// The three severities.
const (
	Error       Severity = "error"
	Warning     Severity = "warning"
	Information Severity = "information"
)

// Code is one entry of the catalogue (OV-18).
type Code struct {
	Code        string
	Severity    Severity
	Description string
}

// The codes Switchboard raises. Every one must be in catalogue;
// TestCatalogueCoversEveryCode checks the source for codes that are not.
const (
	CodeCallBridgeBadCredentials  = "CALL_BRIDGE_BAD_CREDENTIALS"
	CodeCallBridgeUnreachable     = "CALL_BRIDGE_UNREACHABLE"
	CodeCallBridgeTLSFailed       = "CALL_BRIDGE_TLS_FAILED"
	CodeCallBridgeNotCallBridge   = "CALL_BRIDGE_NOT_CALL_BRIDGE"
	CodeCallBridgeEventsDisrupted = "CALL_BRIDGE_EVENTS_DISRUPTED"
	CodeCallBridgeSynchronizing   = "CALL_BRIDGE_SYNCHRONIZING"
	CodeCallBridgeAlarm           = "CALL_BRIDGE_ALARM"
	CodeClusterMembershipChanged  = "CLUSTER_MEMBERSHIP_CHANGED"
	CodeCDRReceiverRefused        = "CDR_RECEIVER_REFUSED"
	CodeCDRReceiverListFull       = "CDR_RECEIVER_LIST_FULL"
	CodeCDRReceiverAddressMissing = "CDR_RECEIVER_ADDRESS_MISSING"
	CodeCDRGap                    = "CDR_GAP"
	CodeCapacityExceeded          = "CAPACITY_EXCEEDED"
	CodePeerCertificateExpiring   = "PEER_CERTIFICATE_EXPIRING"
	CodeNoLocalAdmin              = "NO_LOCAL_ADMIN"
)

// Subject kinds.
const (
	SubjectCallBridge = "call_bridge"
	SubjectCluster    = "cluster"
	SubjectSystem     = "system"
)

var catalogue = []Code{
	{CodeCallBridgeBadCredentials, Error, "A Call Bridge rejects the API username or password configured for it (OV-09). Fix the credentials on the Servers page."},
	{CodeCallBridgeUnreachable, Error, "A Call Bridge cannot be reached: no TCP connection to its API address, or it keeps answering 503 (busy). Switchboard retries with back-off and clears this when it answers again."},
	{CodeCallBridgeTLSFailed, Error, "The TLS connection to a Call Bridge failed: handshake, untrusted or mismatched certificate, revoked certificate, or CRL unavailable."},
	{CodeCallBridgeNotCallBridge, Error, "The server at a Call Bridge's address answers, but not as a Call Bridge API."},
	{CodeCallBridgeEventsDisrupted, Warning, "The events connection to a Call Bridge is disrupted; meeting details from it may lag (OV-10)."},
	{CodeCallBridgeSynchronizing, Information, "Switchboard is synchronising meeting state with a Call Bridge; meeting and participant details for it may be incomplete (OV-11)."},
	{CodeCallBridgeAlarm, Warning, "A Call Bridge reports active alarms (system/alarms)."},
	{CodeClusterMembershipChanged, Warning, "A Call Bridge now reports a different cluster than the one it was added to (SV-26). Remove it and add it again to move it."},
	{CodeCDRReceiverRefused, Warning, "A Call Bridge refused Switchboard's CDR receiver registration; meeting data from it stays incomplete."},
	{CodeCDRReceiverListFull, Warning, "A Call Bridge's CDR receiver list is full (4 entries), so Switchboard cannot register itself; free a slot on the bridge."},
	{CodeCDRReceiverAddressMissing, Warning, "Meeting management is on for a cluster but no CDR receiver address is set; meeting data stays incomplete until it is (SV-25, ST-14)."},
	{CodeCDRGap, Information, "A Call Bridge's CDRs showed missing records or a bridge restart (a new CDR session); Switchboard reconciles its meetings from the API, and event-log times of that period may be inferred (MT-20)."},
	{CodeCapacityExceeded, Warning, "Observed load (managed bridges, meetings, participants or the CDR rate) exceeds Switchboard's published, tested capacity (MT-22); the message names the busiest cluster, for which meeting management could be switched off (SV-22)."},
	{CodePeerCertificateExpiring, Warning, "The certificate of a peer (Call Bridge) expires within 30 days (IM-19)."},
	{CodeNoLocalAdmin, Warning, "No local administrator exists; if the directory fails, no administrator can sign in (IM-13)."},
}

// Catalogue returns every code Switchboard can raise.
func Catalogue() []Code { return append([]Code(nil), catalogue...) }

// Lookup returns a code's catalogue entry.
func Lookup(code string) (Code, bool) {
	for _, c := range catalogue {
		if c.Code == code {
			return c, true
		}
	}
	return Code{}, false
}

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

	CodeLicensingModeNotSet        = "LICENSING_MODE_NOT_SET"
	CodeLicenseInsufficient        = "LICENSE_INSUFFICIENT"
	CodeLicenseOutOfCompliance     = "LICENSE_OUT_OF_COMPLIANCE"
	CodeLicenseEnforcementPending  = "LICENSE_ENFORCEMENT_PENDING"
	CodeLicenseEnforcementActive   = "LICENSE_ENFORCEMENT_ACTIVE"
	CodeLicenseHighEnforcement     = "LICENSE_HIGH_ENFORCEMENT"
	CodeLicenseFeatureEnding       = "LICENSE_FEATURE_ENDING"
	CodeLicenseFeatureNotAvailable = "LICENSE_FEATURE_NOT_AVAILABLE"
	CodeLicensingOtherInstance     = "LICENSING_OTHER_INSTANCE"
	CodeSSMUnreachable             = "SSM_UNREACHABLE"
	CodeSSMRegistrationLost        = "SSM_REGISTRATION_LOST"
)

// Subject kinds.
const (
	SubjectCallBridge = "call_bridge"
	SubjectCluster    = "cluster"
	SubjectSystem     = "system"
	// SubjectLicensing is a feature of a licensing scope: id
	// "deployment/<feature>" (Smart) or "<cluster id>/<feature>"
	// (Traditional).
	SubjectLicensing = "licensing"
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
	{CodeLicensingModeNotSet, Warning, "No licensing mode is chosen (LI-01): choose Smart, Traditional or No licensing in Settings › Licensing."},
	{CodeLicenseInsufficient, Warning, "A feature used more licences than allocated on 1 to 14 of the last 90 days (LI-15): temporary overuse is tolerated; review the allocation and consider buying more."},
	{CodeLicenseOutOfCompliance, Error, "A feature used more licences than allocated on 15 or more of the last 90 days, or Customization is allocated without a licence in the Smart account (LI-15, LI-19)."},
	{CodeLicenseEnforcementPending, Warning, "Meetings is counting down to licence enforcement (Alarm 1, LI-36); the message gives the days left."},
	{CodeLicenseEnforcementActive, Error, "Licence enforcement is active for Meetings (Alarm 2): participants see and hear a warning at the start of every meeting, and high enforcement follows."},
	{CodeLicenseHighEnforcement, Error, "High licence enforcement is active for Meetings (Alarm 3): participants see a larger warning throughout every meeting, for example because a Call Bridge lacks its activation key (LI-42)."},
	{CodeLicenseFeatureEnding, Warning, "Recording or streaming, or Customization, is available only for a few more days: its trial ends and no licence is allocated (LI-39)."},
	{CodeLicenseFeatureNotAvailable, Error, "Recording or streaming, or Customization, is not available: its trial ended, or it is used, and no licence is allocated (LI-39, LI-45)."},
	{CodeLicensingOtherInstance, Warning, "Another Switchboard or Meeting Management instance also does licensing for a cluster, so its usage is counted twice; only one instance of a resilient pair may do licensing (RS-04)."},
	{CodeNoLocalAdmin, Warning, "No local administrator exists; if the directory fails, no administrator can sign in (IM-13)."},
	{CodeSSMUnreachable, Warning, "Smart Licensing cannot reach Cisco SSM (no connection, TLS failure, timeout or SSM unavailable). The last authorization and the licence status computed from local data are kept (LI-80); Switchboard retries every hour and clears this on the next successful exchange."},
	{CodeSSMRegistrationLost, Warning, "Cisco SSM no longer accepts this instance's Smart Licensing registration (it expired, was removed in SSM, or the instance was registered again elsewhere). Register again with a new token and force (LI-71)."},
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

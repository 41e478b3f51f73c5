package api

import (
	"github.com/switchboardhq/switchboard/gen/switchboard/auth/v1/authv1connect"
	"github.com/switchboardhq/switchboard/gen/switchboard/licensing/v1/licensingv1connect"
	"github.com/switchboardhq/switchboard/gen/switchboard/meetings/v1/meetingsv1connect"
	"github.com/switchboardhq/switchboard/gen/switchboard/overview/v1/overviewv1connect"
	"github.com/switchboardhq/switchboard/gen/switchboard/servers/v1/serversv1connect"
	"github.com/switchboardhq/switchboard/gen/switchboard/system/v1/systemv1connect"
	"github.com/switchboardhq/switchboard/gen/switchboard/users/v1/usersv1connect"
	"github.com/switchboardhq/switchboard/server/platform/interceptor"
)

// Policy is the access every procedure requires. A procedure that is not
// listed is denied; TestPolicyCoversEveryMethod fails the build of any
// service that adds a method without a line here.
//
// Video operators get SignedIn methods only: Overview and Meetings, and
// self-service on their own account and sessions (AU-06).
var Policy = interceptor.Policy{
	// Sign-in and the caller's own session.
	authv1connect.AuthServiceSignInProcedure:              interceptor.Public,
	authv1connect.AuthServiceGetPreSignInMessageProcedure: interceptor.Public,
	authv1connect.AuthServiceSignOutProcedure:             interceptor.SignedIn,
	authv1connect.AuthServiceWhoAmIProcedure:              interceptor.SignedIn,
	authv1connect.AuthServiceReportActivityProcedure:      interceptor.SignedIn,
	authv1connect.AuthServiceListOwnSessionsProcedure:     interceptor.SignedIn,
	authv1connect.AuthServiceRevokeOwnSessionProcedure:    interceptor.SignedIn,
	// Everyone's sessions, sign-in settings, API tokens.
	authv1connect.AuthServiceListSessionsProcedure:         interceptor.Administrator,
	authv1connect.AuthServiceRevokeSessionProcedure:        interceptor.Administrator,
	authv1connect.AuthServiceRevokeAllSessionsProcedure:    interceptor.Administrator,
	authv1connect.AuthServiceGetSignInSettingsProcedure:    interceptor.Administrator,
	authv1connect.AuthServiceUpdateSignInSettingsProcedure: interceptor.Administrator,
	authv1connect.AuthServiceCreateApiTokenProcedure:       interceptor.Administrator,
	authv1connect.AuthServiceListApiTokensProcedure:        interceptor.Administrator,
	authv1connect.AuthServiceDeleteApiTokenProcedure:       interceptor.Administrator,

	// The caller's own password.
	usersv1connect.UserServiceChangeOwnPasswordProcedure:       interceptor.SignedIn,
	usersv1connect.UserServiceGetPasswordRequirementsProcedure: interceptor.SignedIn,
	usersv1connect.UserServiceSuggestPassphraseProcedure:       interceptor.SignedIn,
	// Local users, policies, the directory and its groups.
	usersv1connect.UserServiceCreateLocalUserProcedure:             interceptor.Administrator,
	usersv1connect.UserServiceGetLocalUserProcedure:                interceptor.Administrator,
	usersv1connect.UserServiceListLocalUsersProcedure:              interceptor.Administrator,
	usersv1connect.UserServiceUpdateLocalUserProcedure:             interceptor.Administrator,
	usersv1connect.UserServiceDeleteLocalUserProcedure:             interceptor.Administrator,
	usersv1connect.UserServiceGetLocalSecurityPolicyProcedure:      interceptor.Administrator,
	usersv1connect.UserServiceUpdateLocalSecurityPolicyProcedure:   interceptor.Administrator,
	usersv1connect.UserServiceUploadPassphraseDictionaryProcedure:  interceptor.Administrator,
	usersv1connect.UserServiceGetPassphraseDictionaryProcedure:     interceptor.Administrator,
	usersv1connect.UserServiceDeletePassphraseDictionaryProcedure:  interceptor.Administrator,
	usersv1connect.UserServiceGetAuthDirectoryProcedure:            interceptor.Administrator,
	usersv1connect.UserServiceUpdateAuthDirectoryProcedure:         interceptor.Administrator,
	usersv1connect.UserServiceTestAuthDirectoryConnectionProcedure: interceptor.Administrator,
	usersv1connect.UserServiceCreateLdapGroupProcedure:             interceptor.Administrator,
	usersv1connect.UserServiceListLdapGroupsProcedure:              interceptor.Administrator,
	usersv1connect.UserServiceUpdateLdapGroupProcedure:             interceptor.Administrator,
	usersv1connect.UserServiceDeleteLdapGroupProcedure:             interceptor.Administrator,
	usersv1connect.UserServiceCheckLdapGroupProcedure:              interceptor.Administrator,
	usersv1connect.UserServiceListLdapGroupMembersProcedure:        interceptor.Administrator,

	systemv1connect.SystemServiceGetVersionProcedure: interceptor.SignedIn,
	// Background jobs.
	systemv1connect.SystemServiceListJobsProcedure: interceptor.Administrator,
	systemv1connect.SystemServiceRunJobProcedure:   interceptor.Administrator,

	// The overview and its notifications: everyone (OV-01, OV-04).
	overviewv1connect.OverviewServiceGetOverviewProcedure:            interceptor.SignedIn,
	overviewv1connect.OverviewServiceListNotificationsProcedure:      interceptor.SignedIn,
	overviewv1connect.OverviewServiceGetNotificationSummaryProcedure: interceptor.SignedIn,
	overviewv1connect.OverviewServiceListNotificationCodesProcedure:  interceptor.SignedIn,
	overviewv1connect.OverviewServiceWatchNotificationsProcedure:     interceptor.SignedIn,

	// Licensing: the Licenses view and its actions are the
	// administrator's; the status summary of the Overview is everyone's
	// (OV-15).
	licensingv1connect.LicensingServiceGetLicensingModeProcedure:  interceptor.Administrator,
	licensingv1connect.LicensingServiceSetLicensingModeProcedure:  interceptor.Administrator,
	licensingv1connect.LicensingServiceGetLicenseDetailsProcedure: interceptor.Administrator,
	licensingv1connect.LicensingServiceGetLicenseStatusProcedure:  interceptor.SignedIn,
	licensingv1connect.LicensingServiceSetAllocationProcedure:     interceptor.Administrator,
	licensingv1connect.LicensingServiceStartTrialProcedure:        interceptor.Administrator,
	licensingv1connect.LicensingServiceGetUtilizationProcedure:    interceptor.Administrator,
	licensingv1connect.LicensingServiceDownloadReportProcedure:    interceptor.Administrator,
	// Smart Licensing registration with Cisco SSM (LI-70 … LI-79).
	licensingv1connect.SmartLicensingServiceGetSmartLicensingProcedure:  interceptor.Administrator,
	licensingv1connect.SmartLicensingServiceRegisterProcedure:           interceptor.Administrator,
	licensingv1connect.SmartLicensingServiceRenewAuthorizationProcedure: interceptor.Administrator,
	licensingv1connect.SmartLicensingServiceRenewRegistrationProcedure:  interceptor.Administrator,
	licensingv1connect.SmartLicensingServiceReregisterProcedure:         interceptor.Administrator,
	licensingv1connect.SmartLicensingServiceDeregisterProcedure:         interceptor.Administrator,

	// Call Bridges, clusters and the CDR receiver address.
	serversv1connect.ServerServiceTestCallBridgeConnectionProcedure:  interceptor.Administrator,
	serversv1connect.ServerServiceAddCallBridgeProcedure:             interceptor.Administrator,
	serversv1connect.ServerServiceGetCallBridgeProcedure:             interceptor.Administrator,
	serversv1connect.ServerServiceUpdateCallBridgeProcedure:          interceptor.Administrator,
	serversv1connect.ServerServiceRemoveCallBridgeProcedure:          interceptor.Administrator,
	serversv1connect.ServerServiceListClustersProcedure:              interceptor.Administrator,
	serversv1connect.ServerServiceUpdateClusterProcedure:             interceptor.Administrator,
	serversv1connect.ServerServiceAddDiscoveredCallBridgesProcedure:  interceptor.Administrator,
	serversv1connect.ServerServiceGetCdrReceiverSettingsProcedure:    interceptor.Administrator,
	serversv1connect.ServerServiceUpdateCdrReceiverSettingsProcedure: interceptor.Administrator,

	// Meetings: the video operator's work, so every signed-in user
	// (MT-15). Pins are shared by the instance's users (MT-14).
	meetingsv1connect.MeetingServiceListMeetingsProcedure:             interceptor.SignedIn,
	meetingsv1connect.MeetingServiceGetMeetingProcedure:               interceptor.SignedIn,
	meetingsv1connect.MeetingServiceListParticipantsProcedure:         interceptor.SignedIn,
	meetingsv1connect.MeetingServiceGetParticipantStatisticsProcedure: interceptor.SignedIn,
	meetingsv1connect.MeetingServiceListMeetingEventsProcedure:        interceptor.SignedIn,
	meetingsv1connect.MeetingServiceWatchMeetingsProcedure:            interceptor.SignedIn,
	meetingsv1connect.MeetingServiceWatchMeetingProcedure:             interceptor.SignedIn,
	meetingsv1connect.MeetingServicePinMeetingProcedure:               interceptor.SignedIn,
	meetingsv1connect.MeetingServiceUnpinMeetingProcedure:             interceptor.SignedIn,
	meetingsv1connect.MeetingServiceAddParticipantProcedure:           interceptor.SignedIn,
	meetingsv1connect.MeetingServiceDropParticipantsProcedure:         interceptor.SignedIn,
	meetingsv1connect.MeetingServiceUpdateParticipantsProcedure:       interceptor.SignedIn,
	meetingsv1connect.MeetingServiceAdmitParticipantsProcedure:        interceptor.SignedIn,
	meetingsv1connect.MeetingServiceMoveParticipantsProcedure:         interceptor.SignedIn,
	meetingsv1connect.MeetingServiceUpdateMeetingProcedure:            interceptor.SignedIn,
	meetingsv1connect.MeetingServiceEndMeetingProcedure:               interceptor.SignedIn,
}

// Unaudited lists the state-changing procedures that are deliberately not
// audited, with the reason. Everything else that is not NO_SIDE_EFFECTS is
// audited; TestUnauditedIsJustified keeps this list to writes only.
var Unaudited = map[string]string{
	// The console reports user activity every 30-60 s to keep the idle
	// timer going; the session's last-activity time is the record of it,
	// and an audit row per report would drown the audit log.
	authv1connect.AuthServiceReportActivityProcedure: "activity is recorded on the session itself",
}

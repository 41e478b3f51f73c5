import { createClient, type Client, type Transport } from "@connectrpc/connect";
import { AuthService } from "../../../gen/ts/switchboard/auth/v1/auth_service_pb";
import { SystemService } from "../../../gen/ts/switchboard/system/v1/system_service_pb";
import { UserService } from "../../../gen/ts/switchboard/users/v1/user_service_pb";
import { OverviewService } from "../../../gen/ts/switchboard/overview/v1/overview_service_pb";
import { ServerService } from "../../../gen/ts/switchboard/servers/v1/servers_service_pb";
import { MeetingService } from "../../../gen/ts/switchboard/meetings/v1/meeting_service_pb";
import { LicensingService } from "../../../gen/ts/switchboard/licensing/v1/licensing_service_pb";

/** A typed client for switchboard.auth.v1.AuthService. */
export type AuthClient = Client<typeof AuthService>;

/** A typed client for switchboard.system.v1.SystemService. */
export type SystemClient = Client<typeof SystemService>;

/** createAuthClient returns a client for AuthService (sign in, sign out, who am I). */
export function createAuthClient(transport: Transport): AuthClient {
  return createClient(AuthService, transport);
}

/** createSystemClient returns a client for SystemService (version and build). */
export function createSystemClient(transport: Transport): SystemClient {
  return createClient(SystemService, transport);
}

/** A typed client for switchboard.users.v1.UserService. */
export type UsersClient = Client<typeof UserService>;

/**
 * createUsersClient returns a client for UserService (local users, own
 * password, password policies, passphrase dictionary, sign-in directory and
 * LDAP groups).
 */
export function createUsersClient(transport: Transport): UsersClient {
  return createClient(UserService, transport);
}

/** A typed client for switchboard.overview.v1.OverviewService. */
export type OverviewClient = Client<typeof OverviewService>;

/**
 * createOverviewClient returns a client for OverviewService (the overview,
 * notifications, their summary and codes, and the WatchNotifications stream).
 */
export function createOverviewClient(transport: Transport): OverviewClient {
  return createClient(OverviewService, transport);
}

/** A typed client for switchboard.servers.v1.ServerService. */
export type ServersClient = Client<typeof ServerService>;

/**
 * createServersClient returns a client for ServerService (Call Bridges,
 * clusters, discovered peers and the CDR receiver address).
 */
export function createServersClient(transport: Transport): ServersClient {
  return createClient(ServerService, transport);
}

/** A typed client for switchboard.meetings.v1.MeetingService. */
export type MeetingsClient = Client<typeof MeetingService>;

/**
 * createMeetingsClient returns a client for MeetingService (active and
 * recently ended meetings, participants, call statistics, event logs, the
 * WatchMeetings and WatchMeeting streams, pins and operator actions).
 */
export function createMeetingsClient(transport: Transport): MeetingsClient {
  return createClient(MeetingService, transport);
}

/** A typed client for switchboard.licensing.v1.LicensingService. */
export type LicensingClient = Client<typeof LicensingService>;

/**
 * createLicensingClient returns a client for LicensingService (licence
 * utilisation series).
 */
export function createLicensingClient(transport: Transport): LicensingClient {
  return createClient(LicensingService, transport);
}

// @switchboard/client: the TypeScript client for the Switchboard API.
//
// The service descriptors and messages are the generated ones in gen/ts,
// re-exported here so applications import from one place.

export * from "../../../gen/ts/switchboard/auth/v1/auth_service_pb";
export * from "../../../gen/ts/switchboard/system/v1/system_service_pb";
export * from "../../../gen/ts/switchboard/users/v1/user_service_pb";
export * from "../../../gen/ts/switchboard/users/v1/local_user_pb";
export * from "../../../gen/ts/switchboard/users/v1/security_policy_pb";
export * from "../../../gen/ts/switchboard/users/v1/directory_pb";
export * from "../../../gen/ts/switchboard/overview/v1/overview_service_pb";
export * from "../../../gen/ts/switchboard/servers/v1/servers_service_pb";
export * from "../../../gen/ts/switchboard/meetings/v1/meeting_service_pb";
export * from "../../../gen/ts/switchboard/licensing/v1/licensing_service_pb";
export * from "../../../gen/ts/switchboard/licensing/v1/smart_licensing_service_pb";
export * from "../../../gen/ts/switchboard/errors/v1/errors_pb";
export { ViolationsSchema, ViolationSchema } from "../../../gen/ts/buf/validate/validate_pb";
export type { Violations, Violation, FieldPath } from "../../../gen/ts/buf/validate/validate_pb";

export * from "./details";
export * from "./errors";
export * from "./transport";
export * from "./upload";
export * from "./clients";

export { Code, ConnectError } from "@connectrpc/connect";

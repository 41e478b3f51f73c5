import { Code, ConnectError } from "@connectrpc/connect";
import { ViolationsSchema, type FieldPath } from "../../../gen/ts/buf/validate/validate_pb";
import { Reason } from "../../../gen/ts/switchboard/errors/v1/errors_pb";
import { BadRequestSchema, ErrorInfoSchema } from "./details";

/** A field that failed validation, with a message a user can act on. */
export interface FieldViolation {
  /** The field path in proto names, e.g. "username" or "bridge.port". */
  field: string;
  /** What is wrong with the field. */
  message: string;
}

/**
 * fieldViolations returns the invalid fields an error names, from either a
 * google.rpc.BadRequest or a buf.validate.Violations detail. It returns an
 * empty list for anything that is not a ConnectError with such details.
 */
export function fieldViolations(err: unknown): FieldViolation[] {
  if (!(err instanceof ConnectError)) {
    return [];
  }
  const out: FieldViolation[] = [];
  for (const bad of err.findDetails(BadRequestSchema)) {
    for (const v of bad.fieldViolations) {
      out.push({ field: v.field, message: v.description });
    }
  }
  for (const violations of err.findDetails(ViolationsSchema)) {
    for (const v of violations.violations) {
      out.push({ field: fieldPathString(v.field), message: v.message });
    }
  }
  return out;
}

function fieldPathString(path: FieldPath | undefined): string {
  return (path?.elements ?? []).map((e) => e.fieldName).join(".");
}

/**
 * errorReason returns the stable reason of a Switchboard error, read from its
 * google.rpc.ErrorInfo detail, or Reason.UNSPECIFIED when there is none.
 * Branch on the reason, never on the message text.
 */
export function errorReason(err: unknown): Reason {
  if (!(err instanceof ConnectError)) {
    return Reason.UNSPECIFIED;
  }
  for (const info of err.findDetails(ErrorInfoSchema)) {
    if (info.domain !== "switchboard") {
      continue;
    }
    const reason = (Reason as unknown as Record<string, Reason | undefined>)[info.reason];
    if (typeof reason === "number") {
      return reason;
    }
  }
  return Reason.UNSPECIFIED;
}

/**
 * isUnauthenticated reports whether err means the caller has no valid
 * session (Connect code 16): the UI returns to the sign-in page.
 */
export function isUnauthenticated(err: unknown): boolean {
  return err instanceof ConnectError && err.code === Code.Unauthenticated;
}

/**
 * errorMessage returns text to show a user for err: the server's message
 * without the "[code]" prefix for a ConnectError, and a generic sentence for
 * anything else (a bug, not a server answer).
 */
export function errorMessage(err: unknown): string {
  if (err instanceof ConnectError) {
    return err.rawMessage || codeText(err.code);
  }
  return "Something went wrong. Try again.";
}

function codeText(code: Code): string {
  switch (code) {
    case Code.Unavailable:
      return "The server cannot be reached. Check your connection and try again.";
    case Code.DeadlineExceeded:
      return "The server took too long to answer. Try again.";
    case Code.Unauthenticated:
      return "Your session has ended. Sign in again.";
    case Code.PermissionDenied:
      return "Your role does not allow this.";
    default:
      return "Something went wrong. Try again.";
  }
}

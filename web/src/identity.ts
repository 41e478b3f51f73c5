import { IdentitySource, Role, type Identity } from "@switchboard/client";
import { t } from "./strings";

/** roleName returns the role as the console shows it. */
export function roleName(role: Role): string {
  switch (role) {
    case Role.ADMINISTRATOR:
      return t.roles.administrator;
    case Role.VIDEO_OPERATOR:
      return t.roles.operator;
    default:
      return t.roles.none;
  }
}

/** sourceName returns where an identity is kept, as the session label shows it. */
export function sourceName(source: IdentitySource): string {
  switch (source) {
    case IdentitySource.LOCAL:
      return t.sources.local;
    case IdentitySource.LDAP:
      return t.sources.ldap;
    case IdentitySource.API_TOKEN:
      return t.sources.apiToken;
    default:
      return t.sources.unknown;
  }
}

/**
 * identityLabel labels a session the way the product documents it:
 * "LDAP/Sally Wood, Administrator", with the username when there is no
 * display name.
 */
export function identityLabel(identity: Identity): string {
  const name = identity.displayName.trim() || identity.username;
  return `${sourceName(identity.source)}/${name}, ${roleName(identity.role)}`;
}

import { IdentitySource, Role, type Identity } from "@switchboard/client";

/** roleName returns the role as the console shows it. */
export function roleName(role: Role): string {
  switch (role) {
    case Role.ADMINISTRATOR:
      return "Administrator";
    case Role.VIDEO_OPERATOR:
      return "Video operator";
    default:
      return "No role";
  }
}

function sourceName(source: IdentitySource): string {
  switch (source) {
    case IdentitySource.LOCAL:
      return "LOCAL";
    case IdentitySource.LDAP:
      return "LDAP";
    default:
      return "UNKNOWN";
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

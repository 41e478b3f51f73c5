import { Role } from "@switchboard/client";

/** A top-level area of the console: one navigation entry, one page. */
export interface Area {
  /** The URL path of the page. */
  path: string;
  /** The navigation label and the page's heading. */
  title: string;
  /** The roles that see the area. */
  roles: readonly Role[];
  /** What the area will hold, as one honest line while it is not built. */
  pending: string;
}

const everyone = [Role.ADMINISTRATOR, Role.VIDEO_OPERATOR] as const;
const administrators = [Role.ADMINISTRATOR] as const;

/** The areas, in navigation order. Overview is the landing page. */
export const areas: readonly Area[] = [
  { path: "/", title: "Overview", roles: everyone, pending: "Notifications, meeting activity and license status are not available yet in this build." },
  { path: "/meetings", title: "Meetings", roles: everyone, pending: "Active and scheduled meetings are not available yet in this build." },
  { path: "/users", title: "Users", roles: administrators, pending: "Local users, LDAP groups and password policy are not available yet in this build." },
  { path: "/servers", title: "Servers", roles: administrators, pending: "Call Bridge and cluster management is not available yet in this build." },
  { path: "/provisioning", title: "Provisioning", roles: administrators, pending: "Provisioning of Meeting Server users and spaces is not available yet in this build." },
  { path: "/logs", title: "Logs", roles: administrators, pending: "System, audit and meeting logs are not available yet in this build." },
  { path: "/licenses", title: "Licenses", roles: administrators, pending: "License usage and Smart Licensing are not available yet in this build." },
  { path: "/settings", title: "Settings", roles: administrators, pending: "System settings are not available yet in this build." },
];

/** areasFor returns the areas a role may open. */
export function areasFor(role: Role): Area[] {
  return areas.filter((area) => area.roles.includes(role));
}

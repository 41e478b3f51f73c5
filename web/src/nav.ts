import { Role } from "@switchboard/client";
import { t } from "./strings";

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
  { path: "/", title: t.areas.overview, roles: everyone, pending: t.areas.pending.overview },
  { path: "/meetings", title: t.areas.meetings, roles: everyone, pending: t.areas.pending.meetings },
  { path: "/users", title: t.areas.users, roles: administrators, pending: t.areas.pending.users },
  { path: "/servers", title: t.areas.servers, roles: administrators, pending: t.areas.pending.servers },
  { path: "/provisioning", title: t.areas.provisioning, roles: administrators, pending: t.areas.pending.provisioning },
  { path: "/logs", title: t.areas.logs, roles: administrators, pending: t.areas.pending.logs },
  { path: "/licenses", title: t.areas.licenses, roles: administrators, pending: t.areas.pending.licenses },
  { path: "/settings", title: t.areas.settings, roles: administrators, pending: t.areas.pending.settings },
];

/** areasFor returns the areas a role may open. */
export function areasFor(role: Role): Area[] {
  return areas.filter((area) => area.roles.includes(role));
}

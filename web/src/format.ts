import { timestampDate, type Timestamp } from "@bufbuild/protobuf/wkt";
import { t } from "./strings";

/**
 * formatUtc writes a time as every time in the product is written: UTC,
 * to the second, "2026-12-03 19:13:34 UTC".
 */
export function formatUtc(ts: Timestamp | Date | undefined, empty: string = t.common.unknown): string {
  if (!ts) {
    return empty;
  }
  const date = ts instanceof Date ? ts : timestampDate(ts);
  return t.common.utc(date.toISOString().slice(0, 19).replace("T", " "));
}

/**
 * formatUtcMinute writes a time to the minute, for tables where seconds
 * would only crowd the columns: "2026-12-03 19:13 UTC".
 */
export function formatUtcMinute(ts: Timestamp | Date | undefined, empty: string = t.common.unknown): string {
  if (!ts) {
    return empty;
  }
  const date = ts instanceof Date ? ts : timestampDate(ts);
  return t.common.utc(date.toISOString().slice(0, 16).replace("T", " "));
}

/**
 * agentSummary names the browser and system in a User-Agent string, e.g.
 * "Chrome on Linux", or returns the string's first word for other clients.
 */
export function agentSummary(userAgent: string): string {
  const ua = userAgent;
  const browser = /Edg\//.test(ua)
    ? "Edge"
    : /OPR\//.test(ua)
      ? "Opera"
      : /Firefox\//.test(ua)
        ? "Firefox"
        : /(Chrome|Chromium)\//.test(ua)
          ? "Chrome"
          : /Safari\//.test(ua)
            ? "Safari"
            : null;
  const system = /Windows/.test(ua)
    ? "Windows"
    : /(iPhone|iPad)/.test(ua)
      ? "iOS"
      : /Mac OS X/.test(ua)
        ? "macOS"
        : /Android/.test(ua)
          ? "Android"
          : /(Linux|X11)/.test(ua)
            ? "Linux"
            : null;
  if (!browser) {
    return ua.split(/[\s/]/)[0] || ua;
  }
  return system ? t.sessions.agent(browser, system) : browser;
}

/** formatUtcDate writes the UTC calendar date of a time, "2026-12-03". */
export function formatUtcDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** toDate converts an optional timestamp. */
export function toDate(ts: Timestamp | undefined): Date | undefined {
  return ts ? timestampDate(ts) : undefined;
}

/** formatSize writes a byte count for people. */
export function formatSize(bytes: number): string {
  if (bytes < 1024) {
    return t.sizes.bytes(bytes);
  }
  if (bytes < 1024 * 1024) {
    return t.sizes.kib(bytes / 1024);
  }
  return t.sizes.mib(bytes / (1024 * 1024));
}

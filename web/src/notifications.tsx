// Live notifications: one OverviewService.WatchNotifications stream per
// signed-in console feeds the top-bar counter and tells the notification
// lists to reload when something changes (IM-10), so nothing polls while
// the stream is up. When it fails, GetNotificationSummary every 30 s
// (OV-07) keeps the counter going while the stream is retried.
//
// The stream is a background call: it never calls ReportActivity, so it
// does not keep an idle session open (AU-48). Only SessionKeeper reports
// activity, and only for real user interaction.

import { createContext, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { useQuery, useTransport } from "@connectrpc/connect-query";
import { useQueryClient } from "@tanstack/react-query";
import { timestampDate, type Timestamp } from "@bufbuild/protobuf/wkt";
import { OverviewService, ServerService, Severity, createOverviewClient, isUnauthenticated, type NotificationSummary } from "@switchboard/client";
import { formatUtc } from "./format";
import { endSession, invalidate } from "./session";
import { t } from "./strings";

/** What the console knows about the current notifications. */
interface LiveNotifications {
  /** The latest summary, from the stream or the fallback refresh. */
  summary: NotificationSummary | undefined;
  /** Whether the stream is up (false while it is being retried). */
  live: boolean;
}

const LiveContext = createContext<LiveNotifications>({ summary: undefined, live: false });

/** useLiveNotifications returns the live notification summary. */
export function useLiveNotifications(): LiveNotifications {
  return useContext(LiveContext);
}

/** The fallback refresh of the counter while the stream is down (OV-07). */
export const summaryRefreshMs = 30_000;

// Retry delays for a failed stream: quick at first, then at most every 30 s.
const retryMs = [1_000, 5_000, 15_000, 30_000];

/**
 * NotificationsProvider keeps one WatchNotifications stream open for the
 * signed-in console, and falls back to GetNotificationSummary every 30 s
 * while the stream is down.
 */
export function NotificationsProvider({ children }: { children: ReactNode }) {
  const transport = useTransport();
  const queryClient = useQueryClient();
  const [streamed, setStreamed] = useState<NotificationSummary | undefined>(undefined);
  const [live, setLive] = useState(false);
  const fallback = useQuery(OverviewService.method.getNotificationSummary, {}, { enabled: !live, refetchInterval: live ? false : summaryRefreshMs });

  useEffect(() => {
    const client = createOverviewClient(transport);
    const abort = new AbortController();
    let attempt = 0;
    async function run() {
      while (!abort.signal.aborted) {
        try {
          let first = true;
          for await (const res of client.watchNotifications({}, { signal: abort.signal })) {
            attempt = 0;
            setLive(true);
            if (res.summary) {
              setStreamed(res.summary);
            }
            // The first message is the summary on (re)connect: what the lists
            // show may have changed while the stream was down.
            if (res.notification || first) {
              void invalidate(queryClient, OverviewService.method.getOverview, OverviewService.method.listNotifications);
            }
            // A bridge's notification usually means its connection state changed.
            if (res.notification?.subject?.kind) {
              void invalidate(queryClient, ServerService.method.listClusters);
            }
            first = false;
          }
        } catch (err) {
          if (abort.signal.aborted) {
            return;
          }
          if (isUnauthenticated(err)) {
            setLive(false);
            await endSession(queryClient);
            return;
          }
        }
        if (abort.signal.aborted) {
          return;
        }
        setLive(false);
        const delay = retryMs[Math.min(attempt, retryMs.length - 1)] ?? 30_000;
        attempt++;
        await new Promise((r) => setTimeout(r, delay));
      }
    }
    void run();
    return () => abort.abort();
  }, [transport, queryClient]);

  const summary = live ? streamed : (fallback.data?.summary ?? streamed);
  const value = useMemo(() => ({ summary, live }), [summary, live]);
  return <LiveContext.Provider value={value}>{children}</LiveContext.Provider>;
}

/** severityName is a severity as people read it. */
export function severityName(severity: Severity): string {
  switch (severity) {
    case Severity.ERROR:
      return t.notifications.error;
    case Severity.WARNING:
      return t.notifications.warning;
    default:
      return t.notifications.information;
  }
}

function severityClass(severity: Severity): string {
  return severity === Severity.ERROR ? "error" : severity === Severity.WARNING ? "warning" : "info";
}

/** SeverityIcon is the shape of a severity (never colour alone: the shapes differ too). */
export function SeverityIcon({ severity }: { severity: Severity }) {
  const cls = `severity-icon severity-${severityClass(severity)}`;
  if (severity === Severity.ERROR) {
    return (
      <svg className={cls} viewBox="0 0 16 16" aria-hidden="true">
        <circle cx="8" cy="8" r="7" />
        <path d="M5.5 5.5l5 5M10.5 5.5l-5 5" className="severity-glyph" />
      </svg>
    );
  }
  if (severity === Severity.WARNING) {
    return (
      <svg className={cls} viewBox="0 0 16 16" aria-hidden="true">
        <path d="M8 1.5 15 14.5H1z" />
        <path d="M8 6v4M8 11.8v.4" className="severity-glyph" />
      </svg>
    );
  }
  return (
    <svg className={cls} viewBox="0 0 16 16" aria-hidden="true">
      <circle cx="8" cy="8" r="7" />
      <path d="M8 7v4.5M8 4.3v.4" className="severity-glyph" />
    </svg>
  );
}

/** SeverityLabel is a severity's icon and its name. */
export function SeverityLabel({ severity }: { severity: Severity }) {
  return (
    <span className={`severity severity-text-${severityClass(severity)}`}>
      <SeverityIcon severity={severity} />
      {severityName(severity)}
    </span>
  );
}

const localFormat = new Intl.DateTimeFormat(undefined, {
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
});

/** viewerZone is the browser's time zone name, e.g. "Europe/Oslo". */
export function viewerZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "local";
}

/**
 * LocalTime shows a time in the viewer's time zone, with the UTC time as
 * its tooltip (and in the accessible description), so both are available.
 */
export function LocalTime({ ts }: { ts: Timestamp | undefined }) {
  if (!ts) {
    return <span className="muted">{t.common.unknown}</span>;
  }
  const date = timestampDate(ts);
  const utc = formatUtc(date);
  return (
    <time className="local-time" dateTime={date.toISOString()} title={utc} tabIndex={0} aria-description={utc}>
      {localFormat.format(date)}
    </time>
  );
}

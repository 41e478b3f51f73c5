import { Severity } from "@switchboard/client";
import { Link } from "react-router";
import { SeverityIcon, useLiveNotifications } from "./notifications";
import { t } from "./strings";

/**
 * NotificationCounter is the top bar's count of current notifications per
 * severity (OV-06), from the WatchNotifications stream (or its 30 s
 * fallback). It links to the notification list.
 */
export function NotificationCounter() {
  const { summary, live } = useLiveNotifications();
  const label = summary
    ? t.notifications.counterLabel(summary.total, summary.errors, summary.warnings, summary.information)
    : t.notifications.counterUnavailable;
  return (
    <Link
      to="/notifications"
      className="button topbar-button notification-counter"
      aria-label={label}
      title={live ? label : `${label} ${t.notifications.notLive}`}
      data-testid="notification-counter"
      data-live={live ? "true" : "false"}
    >
      <svg className="bell" viewBox="0 0 16 16" aria-hidden="true">
        <path d="M8 1.5a4 4 0 0 0-4 4v3L2.5 11h11L12 8.5v-3a4 4 0 0 0-4-4zM6.5 12.5a1.5 1.5 0 0 0 3 0" />
      </svg>
      <span className="counter-item" data-severity="error">
        <SeverityIcon severity={Severity.ERROR} />
        <span data-testid="count-errors">{summary?.errors ?? "–"}</span>
      </span>
      <span className="counter-item" data-severity="warning">
        <SeverityIcon severity={Severity.WARNING} />
        <span data-testid="count-warnings">{summary?.warnings ?? "–"}</span>
      </span>
      <span className="counter-item" data-severity="information">
        <SeverityIcon severity={Severity.INFORMATION} />
        <span data-testid="count-information">{summary?.information ?? "–"}</span>
      </span>
    </Link>
  );
}

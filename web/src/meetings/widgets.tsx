// Small pieces the meetings list and details share.

import { useEffect, useState } from "react";
import type { Meeting } from "@switchboard/client";
import { tm } from "./strings";

/** useNow is the time now, renewed every intervalMs (for running durations; no server call). */
export function useNow(intervalMs: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}

/** LiveIndicator says whether the live feed is up (words and a shape, never colour alone). */
export function LiveIndicator({ live }: { live: boolean }) {
  return (
    <span className={live ? "live-indicator live-on" : "live-indicator live-off"} role="status" data-testid="live-indicator" data-live={live ? "true" : "false"} title={live ? tm.liveTitle : tm.notLiveTitle}>
      <span className="live-dot" aria-hidden="true" />
      {live ? tm.live : tm.reconnecting}
    </span>
  );
}

/** MeetingBadges are a meeting's recording, streaming, lock and join-muted states. */
export function MeetingBadges({ meeting }: { meeting: Meeting }) {
  return (
    <span className="meeting-badges">
      {meeting.recording && (
        <span className="flag flag-recording" data-flag="recording">
          <span className="flag-glyph" aria-hidden="true">
            ●
          </span>
          {tm.recording}
        </span>
      )}
      {meeting.streaming && (
        <span className="flag flag-streaming" data-flag="streaming">
          <span className="flag-glyph" aria-hidden="true">
            ▶
          </span>
          {tm.streaming}
        </span>
      )}
      {meeting.locked && (
        <span className="flag flag-locked" data-flag="locked">
          <svg className="flag-icon" viewBox="0 0 16 16" aria-hidden="true">
            <rect x="3" y="7" width="10" height="7" rx="1" />
            <path d="M5 7V5a3 3 0 0 1 6 0v2" />
          </svg>
          {tm.locked}
        </span>
      )}
      {meeting.joinAudioMuted && (
        <span className="flag" data-flag="join-muted">
          {tm.joinMuted}
        </span>
      )}
    </span>
  );
}

/** PinIcon is a push pin, filled by CSS when the toggle is selected. */
export function PinIcon() {
  return (
    <svg className="pin-icon" viewBox="0 0 16 16" aria-hidden="true">
      <path d="M10.5 1.5 14.5 5.5 11.8 7.2 9.9 11.4 8.6 12.7 3.3 7.4 4.6 6.1 8.8 4.2z" />
      <path d="M5.9 10.1 1.8 14.2" />
    </svg>
  );
}

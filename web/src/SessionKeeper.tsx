import { useEffect, useRef, useState } from "react";
import { useMutation } from "@connectrpc/connect-query";
import { useQueryClient } from "@tanstack/react-query";
import { AuthService, type WhoAmIResponse } from "@switchboard/client";
import { toDate } from "./format";
import { isWhoAmIQuery } from "./session";

/**
 * How often at most the console reports activity. The server checks idle
 * sessions at a 30 s granularity and its shortest idle timeout is 60 s, so
 * one report per 30 s keeps an active user signed in (AU-48).
 */
export const activityIntervalMs = 30_000;

// Interactions that show a person is at the console (AU-48: pointer
// movement, clicks, typing). Programmatic events are not trusted and never
// count; neither do background refreshes, which never call ReportActivity.
const interactions = ["pointerdown", "pointermove", "keydown", "wheel", "touchstart"] as const;

// When WhoAmI is asked again around the end of a session: a little after
// the end (the server decides to the second), and never in a tight loop
// when this browser's clock runs ahead of the server's.
const endCheckSlackMs = 2_000;
const minEndCheckMs = 10_000;

/**
 * SessionKeeper reports real user interaction to the server with
 * AuthService.ReportActivity (throttled to one call per 30 s, with a
 * trailing call so the last interaction of a burst counts), and asks
 * WhoAmI again when the session is due to end (idle timeout or 24 h), so
 * the console returns to the sign-in page on its own instead of at the
 * next click. Renders nothing.
 */
export function SessionKeeper({ whoAmI }: { whoAmI: WhoAmIResponse }) {
  const queryClient = useQueryClient();
  const report = useMutation(AuthService.method.reportActivity);
  const mutate = useRef(report.mutate);
  mutate.current = report.mutate;
  const [idleEnd, setIdleEnd] = useState<Date | undefined>(() => toDate(whoAmI.idleExpireTime));
  // Counts end checks, so a check that finds the session still open (an
  // unchanged WhoAmI answer) schedules the next one.
  const [checks, setChecks] = useState(0);

  useEffect(() => setIdleEnd(toDate(whoAmI.idleExpireTime)), [whoAmI]);

  useEffect(() => {
    let last = 0;
    let pending = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const send = () => {
      last = Date.now();
      pending = false;
      mutate.current({}, { onSuccess: (res) => setIdleEnd(toDate(res.idleExpireTime)) });
    };
    const onInteraction = (event: Event) => {
      if (!event.isTrusted) {
        return;
      }
      const wait = last + activityIntervalMs - Date.now();
      if (wait <= 0) {
        send();
      } else if (!pending) {
        pending = true;
        timer = setTimeout(send, wait);
      }
    };
    for (const type of interactions) {
      window.addEventListener(type, onInteraction, { capture: true, passive: true });
    }
    return () => {
      clearTimeout(timer);
      for (const type of interactions) {
        window.removeEventListener(type, onInteraction, { capture: true });
      }
    };
  }, []);

  const hardEnd = toDate(whoAmI.expireTime);
  const end = [idleEnd, hardEnd].filter((d): d is Date => d !== undefined).sort((a, b) => a.getTime() - b.getTime())[0];
  const endMs = end?.getTime();
  useEffect(() => {
    if (endMs === undefined) {
      return;
    }
    const delay = Math.max(endMs - Date.now() + endCheckSlackMs, minEndCheckMs);
    const timer = setTimeout(() => {
      void queryClient.refetchQueries({ predicate: isWhoAmIQuery }).then(() => setChecks((n) => n + 1));
    }, delay);
    return () => clearTimeout(timer);
  }, [endMs, checks, queryClient]);

  return null;
}

// The Meetings area's live data: the WatchMeetings stream (the list of
// active meetings) and the WatchMeeting stream (one meeting, its
// participants and new event log entries). Like the notification stream
// (../notifications.tsx), each is a background call that never reports
// user activity, and is opened again with a back-off when it ends or
// fails; nothing polls. A new stream starts with a snapshot, which replaces
// what the console held only once it is complete, so a reconnect never
// shows a half-filled list.

import { useEffect, useState } from "react";
import { useTransport } from "@connectrpc/connect-query";
import { useQueryClient } from "@tanstack/react-query";
import {
  Code,
  ConnectError,
  MeetingService,
  MeetingState,
  ParticipantState,
  createMeetingsClient,
  isUnauthenticated,
  type Meeting,
  type MeetingEvent,
  type Participant,
} from "@switchboard/client";
import { displayError } from "../errors";
import { endSession, invalidate } from "../session";

// Retry delays for a stream that ended or failed: quick at first, then at
// most every 30 s (as the notification stream).
const retryMs = [1_000, 2_000, 5_000, 15_000, 30_000];

// Changes after the snapshot are applied in batches this far apart, so a
// busy estate re-renders the list a few times a second, not per message.
const batchMs = 100;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** What the console knows about the active meetings. */
export interface LiveMeetings {
  /** The active meetings, unsorted; undefined until the first snapshot is complete. */
  meetings: Meeting[] | undefined;
  /** Whether the stream is up. */
  live: boolean;
  /** Counts the changes applied, for what must follow them (a search). */
  version: number;
}

/**
 * useWatchMeetings keeps a WatchMeetings stream open while the component
 * is mounted. When a meeting ends, the cached ListMeetings answers (the
 * ended list, searches) are marked stale.
 */
export function useWatchMeetings(): LiveMeetings {
  const transport = useTransport();
  const queryClient = useQueryClient();
  const [state, setState] = useState<LiveMeetings>({ meetings: undefined, live: false, version: 0 });

  useEffect(() => {
    const client = createMeetingsClient(transport);
    const abort = new AbortController();
    const signal = abort.signal;
    let current = new Map<string, Meeting>();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let endedSeen = false;

    const flush = () => {
      if (timer !== undefined) {
        clearTimeout(timer);
        timer = undefined;
      }
      if (signal.aborted) {
        return;
      }
      const meetings = [...current.values()];
      setState((s) => ({ meetings, live: true, version: s.version + 1 }));
      if (endedSeen) {
        endedSeen = false;
        void invalidate(queryClient, MeetingService.method.listMeetings);
      }
    };
    const schedule = () => {
      timer ??= setTimeout(flush, batchMs);
    };

    async function run() {
      let attempt = 0;
      while (!signal.aborted) {
        try {
          const next = new Map<string, Meeting>();
          let complete = false;
          for await (const res of client.watchMeetings({}, { signal })) {
            attempt = 0;
            const target = complete ? current : next;
            if (res.meeting) {
              target.set(res.meeting.id, res.meeting);
            }
            if (res.endedMeetingId) {
              target.delete(res.endedMeetingId);
              endedSeen ||= complete;
            }
            if (!complete && res.snapshotComplete) {
              complete = true;
              current = next;
              flush();
            } else if (complete) {
              schedule();
            }
          }
        } catch (err) {
          if (signal.aborted) {
            return;
          }
          if (isUnauthenticated(err)) {
            await endSession(queryClient);
            return;
          }
        }
        if (signal.aborted) {
          return;
        }
        setState((s) => ({ ...s, live: false }));
        await sleep(retryMs[Math.min(attempt, retryMs.length - 1)] ?? 30_000, signal);
        attempt++;
      }
    }
    void run();
    return () => {
      abort.abort();
      if (timer !== undefined) {
        clearTimeout(timer);
      }
    };
  }, [transport, queryClient]);

  return state;
}

/** What the console knows about one meeting. */
export interface LiveMeeting {
  /** The meeting, once the snapshot arrived. */
  meeting: Meeting | undefined;
  /** Its participants in join order, including those seen leaving. */
  participants: Participant[];
  /** Event log entries that arrived on the stream, oldest first. */
  events: MeetingEvent[];
  /** Whether the stream is up. */
  live: boolean;
  /** The stream ended because the meeting ended: nothing more will change. */
  finished: boolean;
  /** Why the meeting cannot be watched (it does not exist, or no longer), if so. */
  error: string | null;
  /** Whether the server answered NotFound. */
  notFound: boolean;
}

const emptyMeeting: LiveMeeting = { meeting: undefined, participants: [], events: [], live: false, finished: false, error: null, notFound: false };

function byJoinOrder(a: Participant, b: Participant): number {
  const ta = a.joinTime ? Number(a.joinTime.seconds) * 1000 + a.joinTime.nanos / 1e6 : Number.MAX_SAFE_INTEGER;
  const tb = b.joinTime ? Number(b.joinTime.seconds) * 1000 + b.joinTime.nanos / 1e6 : Number.MAX_SAFE_INTEGER;
  return ta - tb || a.name.localeCompare(b.name) || a.id.localeCompare(b.id);
}

/**
 * useWatchMeeting keeps a WatchMeeting stream open for meetingId while
 * enabled. After the meeting ends the server closes the stream and it is
 * not opened again.
 */
export function useWatchMeeting(meetingId: string, enabled: boolean): LiveMeeting {
  const transport = useTransport();
  const queryClient = useQueryClient();
  const [state, setState] = useState<LiveMeeting>(emptyMeeting);

  useEffect(() => {
    setState(emptyMeeting);
    if (!enabled || !meetingId) {
      return;
    }
    const client = createMeetingsClient(transport);
    const abort = new AbortController();
    const signal = abort.signal;
    let meeting: Meeting | undefined;
    let participants = new Map<string, Participant>();
    const events = new Map<bigint, MeetingEvent>();
    let timer: ReturnType<typeof setTimeout> | undefined;

    const flush = (extra: Partial<LiveMeeting> = {}) => {
      if (timer !== undefined) {
        clearTimeout(timer);
        timer = undefined;
      }
      if (signal.aborted) {
        return;
      }
      const list = [...participants.values()].sort(byJoinOrder);
      const log = [...events.values()].sort((a, b) => (a.sequence < b.sequence ? -1 : a.sequence > b.sequence ? 1 : 0));
      const ended = meeting?.state === MeetingState.ENDED;
      setState((s) => ({ ...s, meeting, participants: list, events: log, live: true, error: null, notFound: false, finished: ended, ...extra }));
    };
    const schedule = () => {
      timer ??= setTimeout(() => flush(), batchMs);
    };

    async function run() {
      let attempt = 0;
      while (!signal.aborted) {
        try {
          const next = new Map<string, Participant>();
          let complete = false;
          for await (const res of client.watchMeeting({ meetingId }, { signal })) {
            attempt = 0;
            if (res.meeting) {
              meeting = res.meeting;
            }
            for (const p of res.participants) {
              (complete ? participants : next).set(p.id, p);
            }
            for (const e of res.events) {
              events.set(e.sequence, e);
            }
            if (!complete && res.snapshotComplete) {
              complete = true;
              // Those seen leaving before a reconnect stay listed as left.
              for (const [id, p] of participants) {
                if (!next.has(id) && p.state === ParticipantState.DISCONNECTED) {
                  next.set(id, p);
                }
              }
              participants = next;
              flush();
            } else if (complete) {
              schedule();
            }
          }
        } catch (err) {
          if (signal.aborted) {
            return;
          }
          if (isUnauthenticated(err)) {
            await endSession(queryClient);
            return;
          }
          const code = err instanceof ConnectError ? err.code : Code.Unknown;
          if (code === Code.NotFound || code === Code.PermissionDenied || code === Code.InvalidArgument) {
            flush({ live: false, error: displayError(err), notFound: code === Code.NotFound });
            return;
          }
        }
        if (signal.aborted) {
          return;
        }
        if (meeting?.state === MeetingState.ENDED) {
          flush({ live: false, finished: true });
          void invalidate(queryClient, MeetingService.method.getMeeting, MeetingService.method.listMeetingEvents, MeetingService.method.listParticipants);
          return;
        }
        setState((s) => ({ ...s, live: false }));
        await sleep(retryMs[Math.min(attempt, retryMs.length - 1)] ?? 30_000, signal);
        attempt++;
      }
    }
    void run();
    return () => {
      abort.abort();
      if (timer !== undefined) {
        clearTimeout(timer);
      }
    };
  }, [transport, queryClient, meetingId, enabled]);

  return state;
}

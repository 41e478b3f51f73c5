// How the Meetings area writes enum values, durations and sort orders.

import { timestampDate, type Timestamp } from "@bufbuild/protobuf/wkt";
import { CallType, Layout, MeetingEventKind, ParticipantState, type Meeting } from "@switchboard/client";
import { tm } from "./strings";

/** The layouts an operator can choose, in the order the menus list them. */
export const layoutChoices: readonly [Layout, string][] = [
  [Layout.AUTOMATIC, tm.layouts.automatic],
  [Layout.ALL_EQUAL, tm.layouts.allEqual],
  [Layout.SPEAKER_ONLY, tm.layouts.speakerOnly],
  [Layout.TELEPRESENCE, tm.layouts.telepresence],
  [Layout.STACKED, tm.layouts.stacked],
  [Layout.ALL_EQUAL_QUARTERS, tm.layouts.quarters],
  [Layout.ALL_EQUAL_NINTHS, tm.layouts.ninths],
  [Layout.ALL_EQUAL_SIXTEENTHS, tm.layouts.sixteenths],
  [Layout.ALL_EQUAL_TWENTY_FIFTHS, tm.layouts.twentyFifths],
  [Layout.ONE_PLUS_FIVE, tm.layouts.onePlusFive],
  [Layout.ONE_PLUS_SEVEN, tm.layouts.onePlusSeven],
  [Layout.ONE_PLUS_NINE, tm.layouts.onePlusNine],
  [Layout.ONE_PLUS_N, tm.layouts.onePlusN],
];

/** layoutName is a layout as people read it. */
export function layoutName(layout: Layout): string {
  if (layout === Layout.UNSPECIFIED) {
    return tm.layouts.unspecified;
  }
  return layoutChoices.find(([l]) => l === layout)?.[1] ?? tm.layouts.unspecified;
}

/** callTypeName is a meeting's call type as people read it. */
export function callTypeName(type: CallType): string {
  switch (type) {
    case CallType.SPACE:
      return tm.callTypes.space;
    case CallType.AD_HOC:
      return tm.callTypes.adHoc;
    case CallType.LYNC:
      return tm.callTypes.lync;
    case CallType.FORWARDING:
      return tm.callTypes.forwarding;
    default:
      return tm.callTypes.unknown;
  }
}

/** participantStateName is where a participant's call stands, and its badge kind. */
export function participantState(state: ParticipantState): [string, "ok" | "busy" | "warn" | "unknown"] {
  switch (state) {
    case ParticipantState.CONNECTED:
      return [tm.states.connected, "ok"];
    case ParticipantState.CONNECTING:
      return [tm.states.connecting, "busy"];
    case ParticipantState.LOBBY:
      return [tm.states.lobby, "warn"];
    case ParticipantState.ON_HOLD:
      return [tm.states.onHold, "warn"];
    case ParticipantState.DISCONNECTED:
      return [tm.states.disconnected, "unknown"];
    default:
      return [tm.states.unknown, "unknown"];
  }
}

/** eventKindName is what an event log entry records. */
export function eventKindName(kind: MeetingEventKind): string {
  switch (kind) {
    case MeetingEventKind.MEETING_STARTED:
      return tm.kinds.started;
    case MeetingEventKind.MEETING_ENDED:
      return tm.kinds.ended;
    case MeetingEventKind.PARTICIPANT_JOINED:
      return tm.kinds.joined;
    case MeetingEventKind.PARTICIPANT_LEFT:
      return tm.kinds.left;
    case MeetingEventKind.PARTICIPANT_CHANGED:
      return tm.kinds.participantChanged;
    case MeetingEventKind.MEETING_CHANGED:
      return tm.kinds.meetingChanged;
    case MeetingEventKind.OPERATOR_ACTION:
      return tm.kinds.operator;
    default:
      return tm.kinds.unknown;
  }
}

/** formatDuration writes a length of time for a table, to the minute: "5 min", "2 h 07 min", "3 d 4 h". */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const d = Math.floor(total / 86_400);
  const h = Math.floor((total % 86_400) / 3600);
  const m = Math.floor((total % 3600) / 60);
  if (d > 0) {
    return tm.durations.days(d, h);
  }
  if (h > 0) {
    return tm.durations.hours(h, m);
  }
  if (m > 0) {
    return tm.durations.minutes(m);
  }
  return tm.durations.underMinute;
}

/** meetingDuration is how long a meeting has run (or ran), given the time now. */
export function meetingDuration(m: Meeting, now: number): string {
  if (!m.startTime) {
    return "—";
  }
  const end = m.endTime ? timestampDate(m.endTime).getTime() : now;
  return formatDuration(end - timestampDate(m.startTime).getTime());
}

function millis(ts: Timestamp | undefined): number {
  return ts ? timestampDate(ts).getTime() : 0;
}

/** byListOrder sorts as ListMeetings does: pinned first, then by start time, newest first. */
export function byListOrder(a: Meeting, b: Meeting): number {
  if (a.pinned !== b.pinned) {
    return a.pinned ? -1 : 1;
  }
  return millis(b.startTime) - millis(a.startTime) || a.name.localeCompare(b.name) || a.id.localeCompare(b.id);
}

/** displayName is a meeting's name, or a stand-in when the bridge reported none. */
export function meetingName(m: Meeting | undefined): string {
  return m?.name || tm.noName;
}

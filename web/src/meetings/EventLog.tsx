// A meeting's event log (MT-11, MT-12, MT-20): joins, leaves, state
// changes and operator actions with who did them, oldest first, in the
// viewer's time zone. Entries that arrive on WatchMeeting are added live.

import { useInfiniteQuery } from "@connectrpc/connect-query";
import { MeetingEventKind, MeetingService, type MeetingEvent } from "@switchboard/client";
import { Button } from "react-aria-components";
import { displayError } from "../errors";
import { LocalTime, viewerZone } from "../notifications";
import { t } from "../strings";
import { LoadError } from "../ui";
import { eventKindName } from "./labels";
import { tm } from "./strings";

const pageSize = 500;

export function EventLog({ meetingId, streamed }: { meetingId: string; streamed: MeetingEvent[] }) {
  const log = useInfiniteQuery(
    MeetingService.method.listMeetingEvents,
    { meetingId, pageSize, pageToken: "" },
    { pageParamKey: "pageToken", getNextPageParam: (last) => last.nextPageToken || undefined, staleTime: 0 },
  );
  const listed = log.data?.pages.flatMap((p) => p.events) ?? [];
  const bySequence = new Map<bigint, MeetingEvent>();
  for (const e of listed) {
    bySequence.set(e.sequence, e);
  }
  // Live entries follow the last page; while older pages are still to be
  // loaded they would leave a gap, so they wait.
  if (log.data && !log.hasNextPage) {
    for (const e of streamed) {
      bySequence.set(e.sequence, e);
    }
  }
  const events = [...bySequence.values()].sort((a, b) => (a.sequence < b.sequence ? -1 : a.sequence > b.sequence ? 1 : 0));

  return (
    <div className="event-log">
      <p className="muted">{t.notifications.localZone(viewerZone())}</p>
      {log.error && <LoadError what={tm.eventsCaption} reason={displayError(log.error)} />}
      {log.isPending && <p className="empty">{t.common.loading}</p>}
      {log.data && events.length === 0 && <p className="empty">{tm.eventsEmpty}</p>}
      {events.length > 0 && (
        <div className="table-wrap">
          <table className="table compact events-table">
            <caption className="visually-hidden">{tm.eventsCaption}</caption>
            <thead>
              <tr>
                <th scope="col">{tm.eventTime}</th>
                <th scope="col">{tm.eventKind}</th>
                <th scope="col">{tm.eventWhat}</th>
                <th scope="col">{tm.eventActor}</th>
              </tr>
            </thead>
            <tbody>
              {events.map((e) => (
                <tr key={String(e.sequence)} className={e.kind === MeetingEventKind.OPERATOR_ACTION ? "operator-action" : undefined} data-kind={MeetingEventKind[e.kind]}>
                  <td className="nowrap">
                    <LocalTime ts={e.time} />
                    {e.inferred && (
                      <span className="sub" title={tm.inferredTitle}>
                        {tm.inferred}
                      </span>
                    )}
                  </td>
                  <td className="nowrap">{eventKindName(e.kind)}</td>
                  <td>
                    {e.description}
                    {e.participantName && !e.description.includes(e.participantName) && <span className="sub">{e.participantName}</span>}
                  </td>
                  <td>{e.actor || <span className="muted">—</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {log.hasNextPage && (
        <div className="pager">
          <Button className="button small" onPress={() => void log.fetchNextPage()} isPending={log.isFetchingNextPage}>
            {tm.eventsMore}
          </Button>
        </div>
      )}
    </div>
  );
}

// The meetings list (MT-06, MT-07, MT-14, MT-23): active meetings live from
// the WatchMeetings stream, meetings that ended in the last 7 days from
// ListMeetings, a search over names, URIs and participants, a cluster
// filter, pinned meetings on top, and a notice naming the clusters whose
// meetings are not monitored.

import { useEffect, useMemo, useRef, useState } from "react";
import { useQuery } from "@connectrpc/connect-query";
import { keepPreviousData } from "@tanstack/react-query";
import { MeetingService, type Meeting } from "@switchboard/client";
import { Button, Input, Label, SearchField, ToggleButton } from "react-aria-components";
import { Link } from "react-router";
import { displayError } from "../errors";
import { Choices } from "../fields";
import { LocalTime, viewerZone } from "../notifications";
import { Page } from "../pages";
import { t } from "../strings";
import { Banner, FormAlert, LoadError, PagerControls, StatusMessage, useDebounced, useFlash, usePager } from "../ui";
import { byListOrder, meetingDuration, meetingName } from "./labels";
import { useWatchMeetings } from "./live";
import { usePins } from "./pins";
import { SelectField } from "./SelectField";
import { tm } from "./strings";
import { LiveIndicator, MeetingBadges, PinIcon, useNow } from "./widgets";

type View = "active" | "ended";

const viewChoices = [
  { value: "active", label: tm.viewActive },
  { value: "ended", label: tm.viewEnded },
] as const;

/** How many rows of the live list show before "Show more". */
const activeStep = 100;
/** Page size of the ended list and of searches of the active list. */
const endedPageSize = 50;
const searchPageSize = 1000;

export function MeetingsListPage() {
  const [view, setView] = useState<View>("active");
  const [search, setSearch] = useState("");
  const query = useDebounced(search.trim());
  const [clusterId, setClusterId] = useState("");
  const clusterIds = clusterId ? [clusterId] : [];
  const [limit, setLimit] = useState(activeStep);
  const pager = usePager();
  const now = useNow(30_000);
  const pins = usePins();
  const [flash, setFlash] = useFlash();
  const [error, setError] = useState<string | null>(null);

  const stream = useWatchMeetings();
  const streamVersion = useDebounced(stream.version, 1000);

  // The clusters not monitored are named by any ListMeetings answer.
  const notice = useQuery(MeetingService.method.listMeetings, { pageSize: 1 }, { staleTime: 60_000 });

  // A search of the active list asks the server (it matches participants
  // too), and shows the streamed meetings it names, so they stay live.
  const searching = view === "active" && query !== "";
  const activeSearch = useQuery(
    MeetingService.method.listMeetings,
    { query, clusterIds, pageSize: searchPageSize },
    { enabled: searching, placeholderData: keepPreviousData },
  );
  const { refetch: refetchSearch } = activeSearch;
  const searchedAt = useRef(streamVersion);
  useEffect(() => {
    // Meetings start and participants join: the matches change with them.
    if (searching && searchedAt.current !== streamVersion) {
      void refetchSearch();
    }
    searchedAt.current = streamVersion;
  }, [streamVersion, searching, refetchSearch]);

  const ended = useQuery(
    MeetingService.method.listMeetings,
    { ended: true, query, clusterIds, pageSize: endedPageSize, pageToken: pager.token },
    { enabled: view === "ended", placeholderData: keepPreviousData },
  );

  // Every cluster seen in any answer, for the filter.
  const clusters = useRef(new Map<string, string>());
  for (const m of [...(stream.meetings ?? []), ...(ended.data?.meetings ?? []), ...(activeSearch.data?.meetings ?? [])]) {
    if (m.clusterId) {
      clusters.current.set(m.clusterId, m.clusterName || m.clusterId);
    }
  }
  const clusterOptions = [
    { id: "", label: tm.allClusters },
    ...[...clusters.current].map(([id, label]) => ({ id, label })).sort((a, b) => a.label.localeCompare(b.label)),
  ];

  const active = useMemo(() => {
    if (!stream.meetings) {
      return undefined;
    }
    let list = stream.meetings;
    if (clusterId) {
      list = list.filter((m) => m.clusterId === clusterId);
    }
    if (searching) {
      const ids = new Set((activeSearch.data?.meetings ?? []).map((m) => m.id));
      list = activeSearch.data ? list.filter((m) => ids.has(m.id)) : [];
    }
    return list;
  }, [stream.meetings, clusterId, searching, activeSearch.data]);

  const sorted = (list: Meeting[]) =>
    [...list].sort((a, b) => byListOrder({ ...a, pinned: pins.isPinned(a) }, { ...b, pinned: pins.isPinned(b) }));

  async function onPin(m: Meeting) {
    setError(null);
    try {
      const pinned = await pins.toggle(m);
      setFlash(pinned ? tm.pinnedDone(meetingName(m)) : tm.unpinnedDone(meetingName(m)));
    } catch (err) {
      setError(displayError(err));
    }
  }

  const unmonitored = notice.data?.unmonitoredClusters ?? [];
  const resetPaging = () => {
    pager.reset();
    setLimit(activeStep);
  };

  return (
    <Page title={tm.title} intro={`${tm.intro} ${t.notifications.localZone(viewerZone())}`}>
      {unmonitored.length > 0 && (
        <div data-testid="unmonitored-notice">
          <Banner kind="info">{tm.unmonitored(unmonitored.map((c) => c.name || c.id).join(", "))}</Banner>
        </div>
      )}
      <StatusMessage message={flash} />
      <FormAlert message={error} />
      <div className="toolbar filters meetings-toolbar">
        <SearchField
          className="field search-field"
          value={search}
          onChange={(v) => {
            setSearch(v);
            resetPaging();
          }}
        >
          <Label className="visually-hidden">{tm.searchLabel}</Label>
          <Input placeholder={tm.searchPlaceholder} />
        </SearchField>
        <Choices
          label={tm.viewLabel}
          name="view"
          orientation="horizontal"
          value={view}
          onChange={(v) => {
            setView(v);
            resetPaging();
          }}
          choices={viewChoices}
        />
        <SelectField
          label={tm.clusterLabel}
          value={clusterId}
          onChange={(v) => {
            setClusterId(v);
            resetPaging();
          }}
          options={clusterOptions}
        />
        {view === "active" && <LiveIndicator live={stream.live} />}
      </div>

      {view === "active" ? (
        <section className="panel flush" aria-label={tm.caption}>
          {searching && activeSearch.error && <LoadError what={tm.caption} reason={displayError(activeSearch.error)} />}
          {active === undefined ? (
            <p className="empty">{tm.waitingSnapshot}</p>
          ) : (
            <>
              <p className="muted list-count" role="status">
                {tm.count(active.length)}
              </p>
              {active.length === 0 ? (
                <p className="empty">{searching || clusterId ? tm.emptySearch : tm.empty}</p>
              ) : (
                <MeetingTable meetings={sorted(active).slice(0, limit)} caption={tm.caption} now={now} pins={pins} onPin={onPin} />
              )}
              {active.length > limit && (
                <div className="pager">
                  <Button className="button small" onPress={() => setLimit((l) => l + activeStep)}>
                    {tm.showMore(Math.min(activeStep, active.length - limit))}
                  </Button>
                </div>
              )}
            </>
          )}
        </section>
      ) : (
        <section className="panel flush" aria-label={tm.captionEnded}>
          {ended.error && <LoadError what={tm.captionEnded} reason={displayError(ended.error)} />}
          {ended.isPending && <p className="empty">{t.common.loading}</p>}
          {ended.data && (
            <p className="muted list-count" role="status">
              {tm.count(ended.data.totalSize)}
            </p>
          )}
          {ended.data && ended.data.meetings.length === 0 && <p className="empty">{query || clusterId ? tm.emptyEndedSearch : tm.emptyEnded}</p>}
          {ended.data && ended.data.meetings.length > 0 && (
            <MeetingTable meetings={ended.data.meetings} caption={tm.captionEnded} now={now} pins={pins} onPin={onPin} ended />
          )}
          {ended.data && (
            <PagerControls pager={pager} nextToken={ended.data.nextPageToken} shown={ended.data.meetings.length} pageSize={endedPageSize} label={tm.captionEnded} />
          )}
        </section>
      )}
    </Page>
  );
}

interface MeetingTableProps {
  meetings: Meeting[];
  caption: string;
  now: number;
  pins: ReturnType<typeof usePins>;
  onPin: (m: Meeting) => void;
  ended?: boolean;
}

function MeetingTable({ meetings, caption, now, pins, onPin, ended }: MeetingTableProps) {
  return (
    <div className="table-wrap">
      <table className="table meetings-table">
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col" className="pin-col">
              <span className="visually-hidden">{tm.pin}</span>
            </th>
            <th scope="col">{tm.name}</th>
            <th scope="col">{tm.cluster}</th>
            <th scope="col" className="num">
              {tm.participants}
            </th>
            <th scope="col">{tm.started}</th>
            {ended && <th scope="col">{tm.ended}</th>}
            <th scope="col">{tm.duration}</th>
            <th scope="col">{tm.status}</th>
          </tr>
        </thead>
        <tbody>
          {meetings.map((m) => {
            const pinned = pins.isPinned(m);
            const name = meetingName(m);
            // A standalone bridge's cluster has the bridge's name: said once.
            const bridges = m.instances.map((i) => i.callBridgeName || i.callBridgeId).join(", ");
            const showBridges = bridges !== "" && bridges !== (m.clusterName || m.clusterId);
            return (
              <tr key={m.id} className={pinned ? "pinned" : undefined} data-meeting-id={m.id}>
                <td className="pin-col">
                  <ToggleButton
                    className="pin-toggle"
                    isSelected={pinned}
                    onChange={() => onPin(m)}
                    isDisabled={pins.isBusy(m)}
                    aria-label={tm.pinMeeting(name)}
                  >
                    <PinIcon />
                  </ToggleButton>
                </td>
                <td>
                  <Link to={`/meetings/${encodeURIComponent(m.id)}`} className="strong">
                    {name}
                  </Link>
                  {pinned && <span className="badge">{tm.pinnedBadge}</span>}
                  {showBridges && <span className="sub">{bridges}</span>}
                </td>
                <td>{m.clusterName || m.clusterId}</td>
                <td className="num nowrap">
                  <span data-testid="participant-count">{m.participantCount}</span>
                  {m.lobbyCount > 0 && <span className="sub warning-text">{tm.inLobby(m.lobbyCount)}</span>}
                  {ended && m.peakParticipantCount > 0 && <span className="sub">{tm.peak(m.peakParticipantCount)}</span>}
                </td>
                <td className="nowrap">
                  <LocalTime ts={m.startTime} />
                </td>
                {ended && (
                  <td className="nowrap">
                    <LocalTime ts={m.endTime} />
                  </td>
                )}
                <td className="nowrap">{meetingDuration(m, now)}</td>
                <td>
                  <MeetingBadges meeting={m} />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

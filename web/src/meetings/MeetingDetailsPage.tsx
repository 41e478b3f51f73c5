// A meeting's details (MT-11, MT-15, MT-17): its facts, the meeting-wide
// actions, the participants live from WatchMeeting with their actions, and
// the event log. Every action goes to the bridge through MeetingService;
// what the page shows changes when the bridge reports the change, and a
// refusal is shown as the server wrote it.

import { useState } from "react";
import { useMutation, useQuery } from "@connectrpc/connect-query";
import { Code, MeetingService, MeetingState, ParticipantState, type Meeting, type Participant } from "@switchboard/client";
import { Button, Tab, TabList, TabPanel, Tabs, ToggleButton } from "react-aria-components";
import { Link, useParams } from "react-router";
import { ConfirmDialog } from "../dialogs";
import { displayError } from "../errors";
import { CheckboxInput } from "../fields";
import { LocalTime, viewerZone } from "../notifications";
import { Page } from "../pages";
import { t } from "../strings";
import { Banner, FormAlert, LoadError, Panel, StatusMessage, useFlash } from "../ui";
import { EventLog } from "./EventLog";
import { callTypeName, meetingDuration, meetingName } from "./labels";
import { useWatchMeeting } from "./live";
import { AddParticipantDialog, LayoutDialog, MoveDialog, StatisticsDialog, type LayoutTarget } from "./MeetingDialogs";
import { ParticipantsTable, participantLabel, type Run } from "./ParticipantsTable";
import { usePins } from "./pins";
import { tm } from "./strings";
import { LiveIndicator, MeetingBadges, PinIcon, useNow } from "./widgets";

export function MeetingDetailsPage() {
  const { meetingId = "" } = useParams();
  const get = useQuery(MeetingService.method.getMeeting, { meetingId }, { retry: false, enabled: meetingId !== "" });
  const endedAlready = get.data?.meeting?.state === MeetingState.ENDED;
  const live = useWatchMeeting(meetingId, !endedAlready);
  const meeting = live.meeting ?? get.data?.meeting;
  const active = meeting?.state === MeetingState.ACTIVE && !live.finished;

  const [showLeft, setShowLeft] = useState(false);
  const listed = useQuery(
    MeetingService.method.listParticipants,
    { meetingId, includeDisconnected: true, pageSize: 1000 },
    { enabled: meeting !== undefined && (showLeft || !active), staleTime: 0 },
  );

  const [flash, setFlash] = useFlash(8000);
  const [error, setError] = useState<string | null>(null);
  const run: Run = async (what, action, done) => {
    setError(null);
    try {
      const result = await action();
      setFlash(done ? done(result) : tm.requested(what));
      return true;
    } catch (err) {
      setError(tm.actionFailed(what, displayError(err)));
      return false;
    }
  };

  const [layoutTarget, setLayoutTarget] = useState<LayoutTarget | null>(null);
  const [moving, setMoving] = useState<Participant[] | null>(null);
  const [dropping, setDropping] = useState<Participant[] | null>(null);
  const [statsFor, setStatsFor] = useState<Participant | null>(null);
  const [adding, setAdding] = useState(false);
  const [ending, setEnding] = useState(false);
  const drop = useMutation(MeetingService.method.dropParticipants);
  const end = useMutation(MeetingService.method.endMeeting);

  // The live participants, and those who left when asked for (or when the
  // meeting is over and there is no stream).
  const byId = new Map<string, Participant>();
  if (showLeft || !active) {
    for (const p of listed.data?.participants ?? []) {
      byId.set(p.id, p);
    }
  }
  for (const p of live.participants) {
    byId.set(p.id, p);
  }
  const participants = [...byId.values()].filter((p) => showLeft || !active || p.state !== ParticipantState.DISCONNECTED);
  const present = participants.filter((p) => p.state !== ParticipantState.DISCONNECTED).length;

  if (!meeting) {
    const notFound = live.notFound || (get.error?.code === Code.NotFound);
    return (
      <Page title={tm.facts} intro={<BackLink />}>
        {notFound ? (
          <Banner kind="warning">{tm.notFound}</Banner>
        ) : get.error && live.error ? (
          <LoadError what={tm.facts} reason={live.error} />
        ) : (
          <p className="empty">{t.common.loading}</p>
        )}
      </Page>
    );
  }

  return (
    <Page title={meetingName(meeting)} intro={<BackLink />}>
      <StatusMessage message={flash} />
      <FormAlert message={error} />
      {meeting.state === MeetingState.ENDED && (
        <div role="status">
          <Banner kind="info">{meeting.endTime ? tm.endedNotice(formatLocal(meeting.endTime)) : tm.endedLive}</Banner>
        </div>
      )}
      <MeetingHeader meeting={meeting} live={live.live} active={active} run={run} onPinned={setFlash} onError={setError} />
      {active && (
        <MeetingActions
          meeting={meeting}
          run={run}
          onLayout={() => setLayoutTarget({ kind: "meeting" })}
          onAdd={() => setAdding(true)}
          onEnd={() => setEnding(true)}
        />
      )}

      <Tabs className="tabs meeting-tabs">
        <TabList className="tab-list" aria-label={tm.facts}>
          <Tab id="participants" className="tab">
            {tm.participantsTab(present)}
          </Tab>
          <Tab id="events" className="tab">
            {tm.eventsTab}
          </Tab>
        </TabList>
        <TabPanel id="participants" className="tab-panel">
          <section className="panel flush" aria-label={tm.participantsCaption}>
            {active && (
              <div className="panel-toolbar">
                <CheckboxInput isSelected={showLeft} onChange={setShowLeft}>
                  {tm.showLeft}
                </CheckboxInput>
                <span className="muted small-text">{t.notifications.localZone(viewerZone())}</span>
              </div>
            )}
            {listed.error && (showLeft || !active) && <LoadError what={tm.participantsCaption} reason={displayError(listed.error)} />}
            <ParticipantsTable
              meeting={meeting}
              participants={participants}
              active={active}
              run={run}
              onLayout={(ps) => setLayoutTarget({ kind: "participants", participants: ps })}
              onMove={setMoving}
              onStatistics={setStatsFor}
              onDrop={setDropping}
            />
          </section>
        </TabPanel>
        <TabPanel id="events" className="tab-panel">
          <section className="panel" aria-label={tm.eventsCaption}>
            <EventLog meetingId={meeting.id} streamed={live.events} />
          </section>
        </TabPanel>
      </Tabs>

      <AddParticipantDialog
        meeting={meeting}
        isOpen={adding}
        onOpenChange={setAdding}
        onAdded={(address) => {
          setAdding(false);
          setError(null);
          setFlash(tm.addDone(address));
        }}
      />
      <LayoutDialog
        meeting={meeting}
        target={layoutTarget}
        onClose={() => setLayoutTarget(null)}
        onApplied={() => {
          setLayoutTarget(null);
          setError(null);
          setFlash(tm.requested(tm.done.layout));
        }}
      />
      <MoveDialog
        meeting={meeting}
        participants={moving}
        onClose={() => setMoving(null)}
        onMoved={(target) => {
          setMoving(null);
          setError(null);
          setFlash(tm.requested(`${tm.done.move} → ${meetingName(target)}`));
        }}
      />
      <StatisticsDialog meetingId={meeting.id} participant={statsFor} onClose={() => setStatsFor(null)} />
      <ConfirmDialog
        isOpen={dropping !== null}
        onOpenChange={(o) => !o && setDropping(null)}
        title={tm.dropTitle(dropping?.length ?? 0)}
        body={tm.dropBody((dropping ?? []).map(participantLabel).join(", "))}
        confirmLabel={tm.dropConfirm}
        danger
        onConfirm={async () => {
          await drop.mutateAsync({ meetingId: meeting.id, participantIds: (dropping ?? []).map((p) => p.id) });
          setError(null);
          setFlash(tm.requested(tm.done.drop));
        }}
        displayError={displayError}
      />
      <ConfirmDialog
        isOpen={ending}
        onOpenChange={setEnding}
        title={tm.endTitle}
        body={tm.endBody(meetingName(meeting))}
        confirmLabel={tm.endConfirm}
        danger
        onConfirm={async () => {
          await end.mutateAsync({ meetingId: meeting.id });
          setError(null);
          setFlash(tm.endedDone(meetingName(meeting)));
        }}
        displayError={displayError}
      />
    </Page>
  );
}

function BackLink() {
  return (
    <Link to="/meetings" className="back-link">
      <span aria-hidden="true">← </span>
      {tm.back}
    </Link>
  );
}

const localFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

function formatLocal(ts: NonNullable<Meeting["endTime"]>): string {
  return localFormat.format(new Date(Number(ts.seconds) * 1000));
}

interface MeetingHeaderProps {
  meeting: Meeting;
  live: boolean;
  active: boolean;
  run: Run;
  onPinned: (message: string) => void;
  onError: (message: string | null) => void;
}

function MeetingHeader({ meeting, live, active, onPinned, onError }: MeetingHeaderProps) {
  const now = useNow(30_000);
  const pins = usePins();
  const pinned = pins.isPinned(meeting);
  async function onPin() {
    onError(null);
    try {
      const next = await pins.toggle(meeting);
      onPinned(next ? tm.pinnedDone(meetingName(meeting)) : tm.unpinnedDone(meetingName(meeting)));
    } catch (err) {
      onError(displayError(err));
    }
  }
  return (
    <Panel
      id="meeting-facts"
      title={tm.facts}
      description={meeting.recording || meeting.streaming || meeting.locked || meeting.joinAudioMuted ? <MeetingBadges meeting={meeting} /> : undefined}
      actions={
        <>
          {active && <LiveIndicator live={live} />}
          <ToggleButton className="button small pin-button" isSelected={pinned} onChange={() => void onPin()} isDisabled={pins.isBusy(meeting)} aria-label={tm.pinMeeting(meetingName(meeting))}>
            <PinIcon />
            {pinned ? tm.pinned : tm.pinAction}
          </ToggleButton>
        </>
      }
    >
      <dl className="facts meeting-facts">
        <dt>{tm.state}</dt>
        <dd>{meeting.state === MeetingState.ENDED ? tm.meetingEnded : tm.active}</dd>
        <dt>{tm.cluster}</dt>
        <dd>{meeting.clusterName || meeting.clusterId}</dd>
        <dt>{tm.bridges}</dt>
        <dd>{meeting.instances.map((i) => i.callBridgeName || i.callBridgeId).join(", ") || t.common.unknown}</dd>
        <dt>{tm.started}</dt>
        <dd>
          <LocalTime ts={meeting.startTime} />
        </dd>
        {meeting.endTime && (
          <>
            <dt>{tm.ended}</dt>
            <dd>
              <LocalTime ts={meeting.endTime} />
            </dd>
          </>
        )}
        <dt>{tm.duration}</dt>
        <dd>{meetingDuration(meeting, now)}</dd>
        <dt>{tm.participants}</dt>
        <dd>
          <span data-testid="meeting-participant-count">{meeting.participantCount}</span>
          {meeting.lobbyCount > 0 && <span className="warning-text"> · {tm.inLobby(meeting.lobbyCount)}</span>}
          {meeting.peakParticipantCount > 0 && <span className="muted"> · {tm.peak(meeting.peakParticipantCount)}</span>}
        </dd>
        <dt>{tm.callType}</dt>
        <dd>{callTypeName(meeting.callType)}</dd>
        {meeting.spaceId && (
          <>
            <dt>{tm.space}</dt>
            <dd className="mono">{meeting.spaceId}</dd>
          </>
        )}
        {meeting.callCorrelator && (
          <>
            <dt>{tm.correlator}</dt>
            <dd className="mono">{meeting.callCorrelator}</dd>
          </>
        )}
      </dl>
    </Panel>
  );
}

interface MeetingActionsProps {
  meeting: Meeting;
  run: Run;
  onLayout: () => void;
  onAdd: () => void;
  onEnd: () => void;
}

function MeetingActions({ meeting, run, onLayout, onAdd, onEnd }: MeetingActionsProps) {
  const update = useMutation(MeetingService.method.updateMeeting);
  const updateAll = useMutation(MeetingService.method.updateParticipants);
  const admit = useMutation(MeetingService.method.admitParticipants);
  const meetingId = meeting.id;
  const set = (what: string, change: { locked?: boolean; recording?: boolean; streaming?: boolean; joinAudioMuted?: boolean }) =>
    void run(what, () => update.mutateAsync({ meetingId, ...change }));
  return (
    <section className="panel meeting-actions" aria-label={tm.actions}>
      <div className="action-row" role="toolbar" aria-label={tm.actions}>
        <Button className="button small" onPress={onAdd}>
          {tm.addParticipant}
        </Button>
        <Button className="button small" onPress={() => set(meeting.locked ? tm.done.unlock : tm.done.lock, { locked: !meeting.locked })}>
          {meeting.locked ? tm.unlock : tm.lock}
        </Button>
        <Button className="button small" onPress={() => set(meeting.recording ? tm.done.stopRecording : tm.done.startRecording, { recording: !meeting.recording })}>
          {meeting.recording ? tm.stopRecording : tm.startRecording}
        </Button>
        <Button className="button small" onPress={() => set(meeting.streaming ? tm.done.stopStreaming : tm.done.startStreaming, { streaming: !meeting.streaming })}>
          {meeting.streaming ? tm.stopStreaming : tm.startStreaming}
        </Button>
        <Button className="button small" onPress={() => set(meeting.joinAudioMuted ? tm.done.unmuteNew : tm.done.muteNew, { joinAudioMuted: !meeting.joinAudioMuted })}>
          {meeting.joinAudioMuted ? tm.unmuteNew : tm.muteNew}
        </Button>
        <Button className="button small" onPress={onLayout}>
          {tm.meetingLayout}
        </Button>
        <Button className="button small" onPress={() => void run(tm.muteAll, () => updateAll.mutateAsync({ meetingId, participantIds: [], audioMuted: true }))}>
          {tm.muteAll}
        </Button>
        <Button className="button small" onPress={() => void run(tm.unmuteAll, () => updateAll.mutateAsync({ meetingId, participantIds: [], audioMuted: false }))}>
          {tm.unmuteAll}
        </Button>
        {meeting.lobbyCount > 0 && (
          <Button
            className="button small"
            onPress={() => void run(tm.admitAll, () => admit.mutateAsync({ meetingId, participantIds: [] }), (res) => tm.admitted(res.admitted))}
          >
            {tm.admitAll}
          </Button>
        )}
        <span className="spacer" />
        <Button className="button small danger" onPress={onEnd}>
          {tm.endMeeting}
        </Button>
      </div>
    </section>
  );
}

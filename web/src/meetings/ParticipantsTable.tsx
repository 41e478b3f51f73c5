// A meeting's participants (MT-15): their state (lobby included), mute and
// video flags, importance, layout and join time, with actions on one
// participant (its Actions menu) or on the selected rows (the bulk bar).
// Every action goes to the bridge; the table changes when the bridge
// reports the change on WatchMeeting.

import { useState } from "react";
import { useMutation } from "@connectrpc/connect-query";
import { Direction, MeetingService, ParticipantState, type Meeting, type Participant } from "@switchboard/client";
import { Button, Menu, MenuItem, MenuTrigger, Popover, Separator } from "react-aria-components";
import { CheckboxInput } from "../fields";
import { LocalTime } from "../notifications";
import { t } from "../strings";
import { layoutName, participantState } from "./labels";
import { tm } from "./strings";

/** Run performs an action, then says it was accepted or shows why it failed. */
export type Run = <T>(what: string, action: () => Promise<T>, done?: (result: T) => string) => Promise<boolean>;

interface ParticipantsTableProps {
  meeting: Meeting;
  participants: Participant[];
  /** Actions are offered only while the meeting is active. */
  active: boolean;
  run: Run;
  onLayout: (participants: Participant[]) => void;
  onMove: (participants: Participant[]) => void;
  onStatistics: (participant: Participant) => void;
  onDrop: (participants: Participant[]) => void;
}

type RowAction = "mute" | "unmute" | "videoOff" | "videoOn" | "important" | "unimportant" | "layout" | "statistics" | "move" | "admit" | "drop" | "callBack";

export function participantLabel(p: Participant): string {
  return p.name || p.remoteAddress || p.id;
}

export function ParticipantsTable({ meeting, participants, active, run, onLayout, onMove, onStatistics, onDrop }: ParticipantsTableProps) {
  const update = useMutation(MeetingService.method.updateParticipants);
  const admit = useMutation(MeetingService.method.admitParticipants);
  const add = useMutation(MeetingService.method.addParticipant);
  const [selectedIds, setSelectedIds] = useState<ReadonlySet<string>>(new Set());

  const selectable = participants.filter((p) => p.state !== ParticipantState.DISCONNECTED);
  const selected = selectable.filter((p) => selectedIds.has(p.id));
  const allSelected = selectable.length > 0 && selected.length === selectable.length;
  const meetingId = meeting.id;

  function toggle(id: string, on: boolean) {
    setSelectedIds((s) => {
      const n = new Set(s);
      if (on) {
        n.add(id);
      } else {
        n.delete(id);
      }
      return n;
    });
  }

  const ids = (ps: Participant[]) => ps.map((p) => p.id);
  const names = (ps: Participant[]) => ps.map(participantLabel).join(", ");

  function act(action: RowAction, ps: Participant[]) {
    const who = names(ps);
    switch (action) {
      case "mute":
        return run(`${tm.done.muteAudio} (${who})`, () => update.mutateAsync({ meetingId, participantIds: ids(ps), audioMuted: true }));
      case "unmute":
        return run(`${tm.done.unmuteAudio} (${who})`, () => update.mutateAsync({ meetingId, participantIds: ids(ps), audioMuted: false }));
      case "videoOff":
        return run(`${tm.done.stopVideo} (${who})`, () => update.mutateAsync({ meetingId, participantIds: ids(ps), videoMuted: true }));
      case "videoOn":
        return run(`${tm.done.startVideo} (${who})`, () => update.mutateAsync({ meetingId, participantIds: ids(ps), videoMuted: false }));
      case "important":
        return run(`${tm.done.important} (${who})`, () => update.mutateAsync({ meetingId, participantIds: ids(ps), important: true }));
      case "unimportant":
        return run(`${tm.done.unimportant} (${who})`, () => update.mutateAsync({ meetingId, participantIds: ids(ps), important: false }));
      case "admit":
        return run(`${tm.done.admit} (${who})`, () => admit.mutateAsync({ meetingId, participantIds: ids(ps) }));
      case "callBack":
        return run(`${tm.done.callBack} (${who})`, () => add.mutateAsync({ meetingId, callBackParticipantId: ps[0]?.id ?? "" }));
      case "layout":
        return onLayout(ps);
      case "move":
        return onMove(ps);
      case "drop":
        return onDrop(ps);
      case "statistics":
        return ps[0] && onStatistics(ps[0]);
    }
  }

  if (participants.length === 0) {
    return <p className="empty">{tm.noParticipants}</p>;
  }

  const anyLobby = selected.some((p) => p.state === ParticipantState.LOBBY);

  return (
    <>
      {active && selected.length > 0 && (
        <div className="bulk-bar" role="toolbar" aria-label={tm.bulkLabel}>
          <span className="strong" role="status">
            {tm.selectedCount(selected.length)}
          </span>
          <Button className="button small" onPress={() => void act("mute", selected)}>
            {tm.bulk.muteAudio}
          </Button>
          <Button className="button small" onPress={() => void act("unmute", selected)}>
            {tm.bulk.unmuteAudio}
          </Button>
          <Button className="button small" onPress={() => void act("videoOff", selected)}>
            {tm.bulk.stopVideo}
          </Button>
          <Button className="button small" onPress={() => void act("videoOn", selected)}>
            {tm.bulk.startVideo}
          </Button>
          <Button className="button small" onPress={() => void act("important", selected)}>
            {tm.bulk.important}
          </Button>
          <Button className="button small" onPress={() => void act("unimportant", selected)}>
            {tm.bulk.unimportant}
          </Button>
          <Button className="button small" onPress={() => void act("layout", selected)}>
            {tm.bulk.layout}
          </Button>
          {anyLobby && (
            <Button className="button small" onPress={() => void act("admit", selected.filter((p) => p.state === ParticipantState.LOBBY))}>
              {tm.bulk.admit}
            </Button>
          )}
          <Button className="button small" onPress={() => void act("move", selected)}>
            {tm.bulk.move}
          </Button>
          <Button className="button small danger-outline" onPress={() => void act("drop", selected)}>
            {tm.bulk.drop}
          </Button>
          <Button className="button small" onPress={() => setSelectedIds(new Set())}>
            {tm.clearSelection}
          </Button>
        </div>
      )}
      <div className="table-wrap">
        <table className="table participants-table">
          <caption className="visually-hidden">{tm.participantsCaption}</caption>
          <thead>
            <tr>
              {active && (
                <th scope="col" className="select-col">
                  <CheckboxInput isSelected={allSelected} isDisabled={selectable.length === 0} onChange={(on) => setSelectedIds(on ? new Set(ids(selectable)) : new Set())}>
                    <span className="visually-hidden">{tm.selectAll}</span>
                  </CheckboxInput>
                </th>
              )}
              <th scope="col">{tm.participantName}</th>
              <th scope="col">{tm.address}</th>
              <th scope="col">{tm.pState}</th>
              <th scope="col">{tm.audio}</th>
              <th scope="col">{tm.video}</th>
              <th scope="col">{tm.layout}</th>
              <th scope="col">{tm.joined}</th>
              {active && (
                <th scope="col">
                  <span className="visually-hidden">{t.common.actions}</span>
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {participants.map((p) => {
              const label = participantLabel(p);
              const [stateText, stateKind] = participantState(p.state);
              const gone = p.state === ParticipantState.DISCONNECTED;
              return (
                <tr key={p.id} className={gone ? "participant-left" : p.speaking ? "speaking" : undefined} data-participant-id={p.id} data-state={ParticipantState[p.state]}>
                  {active && (
                    <td className="select-col">
                      {!gone && (
                        <CheckboxInput isSelected={selectedIds.has(p.id)} onChange={(on) => toggle(p.id, on)}>
                          <span className="visually-hidden">{tm.selectRow(label)}</span>
                        </CheckboxInput>
                      )}
                    </td>
                  )}
                  <td className="name-cell">
                    <span className="strong">{p.name || p.remoteAddress}</span>
                    {p.speaking && (
                      <span className="badge speaking-badge" data-testid="speaking">
                        <span aria-hidden="true">◉ </span>
                        {tm.speaking}
                      </span>
                    )}
                    {p.important && (
                      <span className="badge important-badge">
                        <span aria-hidden="true">★ </span>
                        {tm.importantBadge}
                      </span>
                    )}
                    <span className="sub">
                      {[p.direction === Direction.OUTGOING ? tm.outgoing : p.direction === Direction.INCOMING ? tm.incoming : "", p.callType].filter(Boolean).join(" · ")}
                    </span>
                    {p.alarms.length > 0 && (
                      <span className="sub warning-text">
                        {tm.alarms}: {p.alarms.join(", ")}
                      </span>
                    )}
                  </td>
                  <td className="mono break">
                    {p.remoteAddress}
                    {p.localAddress && <span className="sub">→ {p.localAddress}</span>}
                  </td>
                  <td>
                    <span className={`state state-${stateKind}`} data-testid="participant-state">
                      {stateText}
                    </span>
                    {gone && p.disconnectReason && <span className="sub">{p.disconnectReason}</span>}
                  </td>
                  <td data-testid="audio" className="nowrap">
                    {gone ? "—" : p.audioMuted ? <span className="flag flag-muted">{tm.muted}</span> : tm.unmuted}
                  </td>
                  <td data-testid="video" className="nowrap">
                    {gone ? "—" : p.videoMuted ? <span className="flag flag-muted">{tm.videoOff}</span> : tm.videoOn}
                  </td>
                  <td>{gone ? "—" : layoutName(p.layout)}</td>
                  <td className="nowrap">
                    <LocalTime ts={p.joinTime} />
                    {gone && p.leaveTime && (
                      <span className="sub">
                        {tm.leftAt} <LocalTime ts={p.leaveTime} />
                      </span>
                    )}
                  </td>
                  {active && (
                    <td className="actions">
                      <MenuTrigger>
                        <Button className="button small" aria-label={tm.participantActions(label)}>
                          {tm.actionsButton}
                          <svg className="chevron" viewBox="0 0 12 12" aria-hidden="true">
                            <path d="M3 4.5 6 7.5 9 4.5" />
                          </svg>
                        </Button>
                        <Popover className="menu-popover" placement="bottom end">
                          <Menu className="menu" onAction={(key) => void act(key as RowAction, [p])}>
                            {gone ? (
                              <MenuItem id="callBack" className="menu-item">
                                {tm.menu.callBack}
                              </MenuItem>
                            ) : (
                              <>
                                {p.state === ParticipantState.LOBBY && (
                                  <MenuItem id="admit" className="menu-item">
                                    {tm.menu.admit}
                                  </MenuItem>
                                )}
                                <MenuItem id={p.audioMuted ? "unmute" : "mute"} className="menu-item">
                                  {p.audioMuted ? tm.menu.unmuteAudio : tm.menu.muteAudio}
                                </MenuItem>
                                <MenuItem id={p.videoMuted ? "videoOn" : "videoOff"} className="menu-item">
                                  {p.videoMuted ? tm.menu.startVideo : tm.menu.stopVideo}
                                </MenuItem>
                                <MenuItem id={p.important ? "unimportant" : "important"} className="menu-item">
                                  {p.important ? tm.menu.unimportant : tm.menu.important}
                                </MenuItem>
                                <MenuItem id="layout" className="menu-item">
                                  {tm.menu.layout}
                                </MenuItem>
                                <MenuItem id="statistics" className="menu-item">
                                  {tm.menu.statistics}
                                </MenuItem>
                                <MenuItem id="move" className="menu-item">
                                  {tm.menu.move}
                                </MenuItem>
                                <Separator className="menu-separator" />
                                <MenuItem id="drop" className="menu-item menu-item-danger">
                                  {tm.menu.drop}
                                </MenuItem>
                              </>
                            )}
                          </Menu>
                        </Popover>
                      </MenuTrigger>
                    </td>
                  )}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </>
  );
}

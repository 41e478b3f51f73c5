// The meeting details' dialogs: dial out (add a participant), layout and
// pane, move to another meeting, and a participant's call statistics.

import { useEffect, useRef, useState, type FormEvent } from "react";
import { useMutation, useQuery } from "@connectrpc/connect-query";
import {
  Layout,
  MeetingService,
  type AudioStatistics,
  type CallLegStatistics,
  type Meeting,
  type Participant,
  type VideoStatistics,
} from "@switchboard/client";
import { Button, Form } from "react-aria-components";
import { ModalDialog } from "../dialogs";
import { displayError, formErrors, type FieldErrors } from "../errors";
import { NumberInput, TextInput } from "../fields";
import { LocalTime } from "../notifications";
import { t } from "../strings";
import { FormAlert, LoadError } from "../ui";
import { layoutChoices, meetingName } from "./labels";
import { SelectField } from "./SelectField";
import { tm } from "./strings";

const layoutOptions = [{ id: String(Layout.UNSPECIFIED), label: tm.layouts.unspecified }, ...layoutChoices.map(([l, label]) => ({ id: String(l), label }))];

type AddField = "address" | "name";

/** AddParticipantDialog dials out from the meeting to an address (MT-15, MT-17). */
export function AddParticipantDialog({ meeting, isOpen, onOpenChange, onAdded }: { meeting: Meeting; isOpen: boolean; onOpenChange: (open: boolean) => void; onAdded: (address: string) => void }) {
  const add = useMutation(MeetingService.method.addParticipant);
  const [address, setAddress] = useState("");
  const [name, setName] = useState("");
  const [layout, setLayout] = useState(String(Layout.UNSPECIFIED));
  const [fieldErrors, setFieldErrors] = useState<FieldErrors<AddField>>({});
  const [error, setError] = useState<string | null>(null);
  const addressRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if (isOpen) {
      setAddress("");
      setName("");
      setLayout(String(Layout.UNSPECIFIED));
      setFieldErrors({});
      setError(null);
    }
  }, [isOpen]);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setFieldErrors({});
    try {
      await add.mutateAsync({ meetingId: meeting.id, address: address.trim(), name: name.trim(), layout: Number(layout) as Layout });
      onAdded(address.trim());
    } catch (err) {
      const f = formErrors<AddField>(err, { address: ["address", tm.addAddress], name: ["name", tm.addName] });
      setFieldErrors(f.fields);
      setError(f.form);
      if (f.first === "address") {
        addressRef.current?.focus();
      }
    }
  }

  return (
    <ModalDialog title={tm.addTitle} isOpen={isOpen} onOpenChange={onOpenChange}>
      <Form className="form" onSubmit={(e) => void submit(e)} validationErrors={fieldErrors}>
        <div className="dialog-body">
          <p className="muted">{tm.addIntro}</p>
          <TextInput label={tm.addAddress} name="address" value={address} onChange={setAddress} isRequired autoFocus inputRef={addressRef} description={tm.addAddressHelp} code />
          <TextInput label={tm.addName} name="name" value={name} onChange={setName} />
          <SelectField label={tm.addLayout} value={layout} onChange={setLayout} options={layoutOptions} />
          <FormAlert message={error} />
        </div>
        <div className="dialog-actions">
          <Button className="button" slot="close">
            {t.common.cancel}
          </Button>
          <Button type="submit" className="button primary" isPending={add.isPending} isDisabled={address.trim() === ""}>
            {tm.addSubmit}
          </Button>
        </div>
      </Form>
    </ModalDialog>
  );
}

/** What a layout dialog changes: the whole meeting or some participants. */
export type LayoutTarget = { kind: "meeting" } | { kind: "participants"; participants: Participant[] };

/**
 * LayoutDialog sets the layout of the whole meeting or of participants, and
 * for one participant optionally the pane it is placed in.
 */
export function LayoutDialog({ meeting, target, onClose, onApplied }: { meeting: Meeting; target: LayoutTarget | null; onClose: () => void; onApplied: () => void }) {
  const updateMeeting = useMutation(MeetingService.method.updateMeeting);
  const updateParticipants = useMutation(MeetingService.method.updateParticipants);
  const [layout, setLayout] = useState(String(Layout.AUTOMATIC));
  const [pane, setPane] = useState(Number.NaN);
  const [error, setError] = useState<string | null>(null);
  const single = target?.kind === "participants" && target.participants.length === 1 ? target.participants[0] : undefined;

  useEffect(() => {
    if (target) {
      const current = target.kind === "participants" && target.participants.length === 1 ? target.participants[0]?.layout : undefined;
      setLayout(String(current || Layout.AUTOMATIC));
      setPane(Number.NaN);
      setError(null);
    }
  }, [target]);

  const title =
    target?.kind === "meeting" ? tm.layoutTitleMeeting : single ? tm.layoutTitleOne(single.name || single.remoteAddress) : tm.layoutTitleMany(target?.kind === "participants" ? target.participants.length : 0);

  async function apply(e: FormEvent) {
    e.preventDefault();
    if (!target) {
      return;
    }
    setError(null);
    try {
      const l = Number(layout) as Layout;
      if (target.kind === "meeting") {
        await updateMeeting.mutateAsync({ meetingId: meeting.id, layout: l });
      } else {
        await updateParticipants.mutateAsync({
          meetingId: meeting.id,
          participantIds: target.participants.map((p) => p.id),
          layout: l,
          pane: single && Number.isFinite(pane) ? pane : 0,
        });
      }
      onApplied();
    } catch (err) {
      setError(displayError(err));
    }
  }

  return (
    <ModalDialog title={title} isOpen={target !== null} onOpenChange={(o) => !o && onClose()}>
      <Form className="form" onSubmit={(e) => void apply(e)}>
        <div className="dialog-body">
          <SelectField label={tm.layoutField} value={layout} onChange={setLayout} options={layoutOptions.slice(1)} />
          {single && <NumberInput label={tm.pane} name="pane" value={pane} onChange={setPane} minValue={1} maxValue={100} description={tm.paneHelp} />}
          <FormAlert message={error} />
        </div>
        <div className="dialog-actions">
          <Button className="button" slot="close">
            {t.common.cancel}
          </Button>
          <Button type="submit" className="button primary" isPending={updateMeeting.isPending || updateParticipants.isPending}>
            {tm.apply}
          </Button>
        </div>
      </Form>
    </ModalDialog>
  );
}

/** MoveDialog moves participants into another active meeting of the same cluster. */
export function MoveDialog({ meeting, participants, onClose, onMoved }: { meeting: Meeting; participants: Participant[] | null; onClose: () => void; onMoved: (target: Meeting) => void }) {
  const isOpen = participants !== null;
  const move = useMutation(MeetingService.method.moveParticipants);
  const candidates = useQuery(MeetingService.method.listMeetings, { clusterIds: [meeting.clusterId], pageSize: 1000 }, { enabled: isOpen, staleTime: 0 });
  const [targetId, setTargetId] = useState("");
  const [error, setError] = useState<string | null>(null);
  const options = (candidates.data?.meetings ?? []).filter((m) => m.id !== meeting.id).map((m) => ({ id: m.id, label: `${meetingName(m)} (${m.participantCount})`, meeting: m }));

  useEffect(() => {
    if (isOpen) {
      setTargetId("");
      setError(null);
    }
  }, [isOpen]);
  useEffect(() => {
    if (!targetId && options[0]) {
      setTargetId(options[0].id);
    }
  }, [targetId, options]);

  async function submit(e: FormEvent) {
    e.preventDefault();
    const target = options.find((o) => o.id === targetId)?.meeting;
    if (!participants || !target) {
      return;
    }
    setError(null);
    try {
      await move.mutateAsync({ meetingId: meeting.id, participantIds: participants.map((p) => p.id), targetMeetingId: target.id });
      onMoved(target);
    } catch (err) {
      setError(displayError(err));
    }
  }

  return (
    <ModalDialog title={tm.moveTitle(participants?.length ?? 0)} isOpen={isOpen} onOpenChange={(o) => !o && onClose()}>
      <Form className="form" onSubmit={(e) => void submit(e)}>
        <div className="dialog-body">
          {participants && participants.length > 0 && <p>{participants.map((p) => p.name || p.remoteAddress).join(", ")}</p>}
          {candidates.error && <LoadError what={tm.moveTarget} reason={displayError(candidates.error)} />}
          {candidates.isPending && <p className="muted">{t.common.loading}</p>}
          {candidates.data && options.length === 0 && <p className="notice">{tm.moveNone}</p>}
          {options.length > 0 && <SelectField label={tm.moveTarget} value={targetId} onChange={setTargetId} options={options} description={tm.moveHelp} />}
          <FormAlert message={error} />
        </div>
        <div className="dialog-actions">
          <Button className="button" slot="close">
            {t.common.cancel}
          </Button>
          <Button type="submit" className="button primary" isPending={move.isPending} isDisabled={options.length === 0 || !targetId}>
            {tm.moveSubmit}
          </Button>
        </div>
      </Form>
    </ModalDialog>
  );
}

function seconds(n: bigint): string {
  const total = Number(n);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${String(s).padStart(2, "0")}` : `${m}:${String(s).padStart(2, "0")}`;
}

interface StatRow {
  label: string;
  codec: string;
  format: string;
  bitRate: string;
  jitter: string;
  loss: string;
  rtt: string;
}

function audioRow(label: string, a: AudioStatistics | undefined): StatRow {
  if (!a) {
    return { label, codec: tm.statsNoMedia, format: "", bitRate: "", jitter: "", loss: "", rtt: "" };
  }
  return { label, codec: a.codec || "—", format: "", bitRate: tm.bitRate(a.bitRate), jitter: tm.ms(a.jitterMs), loss: tm.percent(a.packetLossPercent), rtt: tm.ms(a.roundTripTimeMs) };
}

function videoRows(label: string, list: VideoStatistics[]): StatRow[] {
  if (list.length === 0) {
    return [{ label, codec: tm.statsNoMedia, format: "", bitRate: "", jitter: "", loss: "", rtt: "" }];
  }
  return list.map((v, i) => ({
    label: list.length > 1 ? `${label} ${i + 1}` : label,
    codec: v.codec || "—",
    format: [v.width && v.height ? tm.resolution(v.width, v.height) : "", v.frameRate ? tm.fps(v.frameRate) : ""].filter(Boolean).join(" · ") || "—",
    bitRate: tm.bitRate(v.bitRate),
    jitter: tm.ms(v.jitterMs),
    loss: tm.percent(v.packetLossPercent),
    rtt: tm.ms(v.roundTripTimeMs),
  }));
}

function LegStatistics({ leg }: { leg: CallLegStatistics }) {
  const rows = [
    audioRow(tm.statsRows.rxAudio, leg.rxAudio),
    audioRow(tm.statsRows.txAudio, leg.txAudio),
    ...videoRows(tm.statsRows.rxVideo, leg.rxVideo),
    ...videoRows(tm.statsRows.txVideo, leg.txVideo),
    ...videoRows(tm.statsRows.rxPresentation, leg.rxPresentation),
    ...videoRows(tm.statsRows.txPresentation, leg.txPresentation),
  ];
  return (
    <section className="stats-leg" aria-label={tm.statsLeg(leg.callLegId)}>
      <h3>
        {tm.statsLeg(leg.callLegId)}
        <span className="badge badge-muted">
          {tm.statsDuration} {seconds(leg.durationSeconds)}
        </span>
        <span className={leg.encrypted ? "badge" : "badge badge-muted"}>{leg.encrypted ? tm.statsEncrypted : tm.statsNotEncrypted}</span>
      </h3>
      <div className="table-wrap">
        <table className="table compact stats-table">
          <caption className="visually-hidden">{tm.statsLeg(leg.callLegId)}</caption>
          <thead>
            <tr>
              <th scope="col">{tm.statsStream}</th>
              <th scope="col">{tm.statsCodec}</th>
              <th scope="col">{tm.statsFormat}</th>
              <th scope="col" className="num">
                {tm.statsBitRate}
              </th>
              <th scope="col" className="num">
                {tm.statsJitter}
              </th>
              <th scope="col" className="num">
                {tm.statsLoss}
              </th>
              <th scope="col" className="num">
                {tm.statsRtt}
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.label}>
                <th scope="row">{r.label}</th>
                <td>{r.codec}</td>
                <td className="nowrap">{r.format}</td>
                <td className="num nowrap">{r.bitRate}</td>
                <td className="num nowrap">{r.jitter}</td>
                <td className="num nowrap">{r.loss}</td>
                <td className="num nowrap">{r.rtt}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

/** StatisticsDialog shows a participant's call statistics, read from the bridge when opened (MT-15). */
export function StatisticsDialog({ meetingId, participant, onClose }: { meetingId: string; participant: Participant | null; onClose: () => void }) {
  const stats = useQuery(
    MeetingService.method.getParticipantStatistics,
    { meetingId, participantId: participant?.id ?? "" },
    { enabled: participant !== null, staleTime: 0, gcTime: 0, retry: false },
  );
  return (
    <ModalDialog title={tm.statsTitle(participant?.name || participant?.remoteAddress || "")} isOpen={participant !== null} onOpenChange={(o) => !o && onClose()} wide isDismissable>
      <div className="dialog-body">
        {stats.isPending && <p className="muted">{t.common.loading}</p>}
        {stats.error && <LoadError what={tm.statsTitle(participant?.name || "")} reason={displayError(stats.error)} />}
        {stats.data && (
          <>
            <p className="muted">
              {tm.statsRead}: {stats.data.readTime ? <LocalTime ts={stats.data.readTime} /> : t.common.unknown}
            </p>
            {stats.data.callLegs.length === 0 && <p className="empty">{tm.statsNone}</p>}
            {stats.data.callLegs.map((leg) => (
              <LegStatistics key={leg.callLegId} leg={leg} />
            ))}
          </>
        )}
      </div>
      <div className="dialog-actions">
        <Button className="button" onPress={() => void stats.refetch()} isPending={stats.isFetching && !stats.isPending} isDisabled={participant === null}>
          {tm.statsRefresh}
        </Button>
        <Button className="button primary" slot="close">
          {t.common.close}
        </Button>
      </div>
    </ModalDialog>
  );
}


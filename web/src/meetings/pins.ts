import { useState } from "react";
import { useMutation } from "@connectrpc/connect-query";
import { useQueryClient } from "@tanstack/react-query";
import { MeetingService, type Meeting } from "@switchboard/client";
import { invalidate } from "../session";

interface PinOverride {
  pinned: boolean;
  /** The meeting object the pin was changed on: a newer one from the server wins. */
  basis: Meeting;
}

/**
 * usePins pins and unpins meetings (MT-14; pins are shared by every user
 * of this instance). A pin is Switchboard's own state, not the bridge's, so
 * the list shows the new state as soon as the server has stored it, until
 * the server sends a newer copy of the meeting.
 */
export function usePins() {
  const queryClient = useQueryClient();
  const pin = useMutation(MeetingService.method.pinMeeting);
  const unpin = useMutation(MeetingService.method.unpinMeeting);
  const [overrides, setOverrides] = useState<ReadonlyMap<string, PinOverride>>(new Map());
  const [busy, setBusy] = useState<ReadonlySet<string>>(new Set());

  function isPinned(m: Meeting): boolean {
    const o = overrides.get(m.id);
    return o && o.basis === m ? o.pinned : m.pinned;
  }

  /** toggle pins or unpins m and returns the new state; a refusal throws. */
  async function toggle(m: Meeting): Promise<boolean> {
    const next = !isPinned(m);
    setBusy((b) => new Set(b).add(m.id));
    try {
      await (next ? pin : unpin).mutateAsync({ meetingId: m.id });
      setOverrides((o) => new Map(o).set(m.id, { pinned: next, basis: m }));
      void invalidate(queryClient, MeetingService.method.listMeetings, MeetingService.method.getMeeting);
      return next;
    } finally {
      setBusy((b) => {
        const n = new Set(b);
        n.delete(m.id);
        return n;
      });
    }
  }

  return { isPinned, toggle, isBusy: (m: Meeting) => busy.has(m.id) };
}

import { useState } from "react";
import { keepPreviousData, useQueryClient } from "@tanstack/react-query";
import { useMutation, useQuery } from "@connectrpc/connect-query";
import { AuthService, type Session } from "@switchboard/client";
import { Button, Input, Label, SearchField } from "react-aria-components";
import { displayError } from "../errors";
import { SessionsTable } from "../sessions";
import { endSession, invalidate } from "../session";
import { t } from "../strings";
import { ConfirmDialog } from "../dialogs";
import { CheckboxInput } from "../fields";
import { LoadError, PagerControls, StatusMessage, useDebounced, useFlash, usePager } from "../ui";

const pageSize = 50;

/**
 * SessionsTab lists everyone's sessions (IM-29), revokes one, and signs
 * everyone out ("sign out all sessions", ST-75), the administrator's own
 * session only when asked.
 */
export function SessionsTab() {
  const queryClient = useQueryClient();
  const [username, setUsername] = useState("");
  const filter = useDebounced(username.trim());
  const pager = usePager();
  const list = useQuery(AuthService.method.listSessions, { username: filter, pageSize, pageToken: pager.token }, { placeholderData: keepPreviousData });
  const revoke = useMutation(AuthService.method.revokeSession);
  const revokeAll = useMutation(AuthService.method.revokeAllSessions);
  const [target, setTarget] = useState<Session | null>(null);
  const [confirmAll, setConfirmAll] = useState(false);
  const [includeCurrent, setIncludeCurrent] = useState(false);
  const [flash, setFlash] = useFlash();

  async function confirmRevoke() {
    if (!target) {
      return;
    }
    await revoke.mutateAsync({ id: target.id });
    if (target.current) {
      await endSession(queryClient);
      return;
    }
    setFlash(t.sessions.revoked);
    await invalidate(queryClient, AuthService.method.listSessions);
  }

  async function confirmRevokeAll() {
    const res = await revokeAll.mutateAsync({ includeCurrent });
    if (includeCurrent) {
      await endSession(queryClient);
      return;
    }
    setFlash(t.sessions.signedOutCount(res.revokedCount));
    await invalidate(queryClient, AuthService.method.listSessions);
  }

  const sessions = list.data?.sessions ?? [];
  return (
    <div className="tab-content">
      <p className="tab-intro">{t.sessions.intro}</p>
      <StatusMessage message={flash} />
      <div className="toolbar">
        <SearchField
          className="field search-field"
          value={username}
          onChange={(v) => {
            setUsername(v);
            pager.reset();
          }}
        >
          <Label className="visually-hidden">{t.sessions.filterUser}</Label>
          <Input placeholder={t.sessions.filterPlaceholder} />
        </SearchField>
        <Button
          className="button danger"
          onPress={() => {
            setIncludeCurrent(false);
            setConfirmAll(true);
          }}
        >
          {t.sessions.signOutAll}
        </Button>
      </div>
      <section className="panel flush" aria-label={t.sessions.caption}>
        {list.error && <LoadError what={t.sessions.caption} reason={displayError(list.error)} />}
        {list.isPending && <p className="empty">{t.common.loading}</p>}
        {list.data && <SessionsTable sessions={sessions} showUser onRevoke={setTarget} />}
        {list.data && <PagerControls pager={pager} nextToken={list.data.nextPageToken} shown={sessions.length} pageSize={pageSize} label={t.sessions.caption} />}
      </section>

      <ConfirmDialog
        isOpen={target !== null}
        onOpenChange={(o) => !o && setTarget(null)}
        title={target?.current ? t.mySessions.revokeCurrentTitle : t.sessions.revokeTitle}
        body={
          target?.current
            ? t.mySessions.revokeCurrentBody
            : t.sessions.revokeBody(target?.identity?.username ?? t.common.unknown, target?.remoteAddress || t.common.unknown)
        }
        confirmLabel={t.common.revoke}
        danger
        onConfirm={confirmRevoke}
        displayError={displayError}
      />
      <ConfirmDialog
        isOpen={confirmAll}
        onOpenChange={setConfirmAll}
        title={t.sessions.signOutAllTitle}
        body={t.sessions.signOutAllBody}
        confirmLabel={t.sessions.signOutAll}
        danger
        onConfirm={confirmRevokeAll}
        displayError={displayError}
      >
        <CheckboxInput isSelected={includeCurrent} onChange={setIncludeCurrent}>
          {t.sessions.includeCurrent}
        </CheckboxInput>
      </ConfirmDialog>
    </div>
  );
}

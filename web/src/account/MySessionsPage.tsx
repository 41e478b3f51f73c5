import { useState } from "react";
import { useMutation, useQuery } from "@connectrpc/connect-query";
import { useQueryClient } from "@tanstack/react-query";
import { AuthService, type Session } from "@switchboard/client";
import { displayError } from "../errors";
import { Page } from "../pages";
import { SessionsTable } from "../sessions";
import { endSession, invalidate } from "../session";
import { t } from "../strings";
import { ConfirmDialog } from "../dialogs";
import { LoadError, PagerControls, StatusMessage, useFlash, usePager } from "../ui";

const pageSize = 50;

/**
 * MySessionsPage lists the signed-in user's own sessions (every role) and
 * revokes any of them; revoking the current one signs out.
 */
export default function MySessionsPage() {
  const queryClient = useQueryClient();
  const pager = usePager();
  const list = useQuery(AuthService.method.listOwnSessions, { pageSize, pageToken: pager.token });
  const revoke = useMutation(AuthService.method.revokeOwnSession);
  const [target, setTarget] = useState<Session | null>(null);
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
    setFlash(t.mySessions.revoked);
    await invalidate(queryClient, AuthService.method.listOwnSessions);
  }

  return (
    <Page title={t.mySessions.title} intro={t.mySessions.intro}>
      <StatusMessage message={flash} />
      <section className="panel flush" aria-label={t.mySessions.title}>
        {list.error && <LoadError what={t.mySessions.title} reason={displayError(list.error)} />}
        {list.isPending && <p className="empty">{t.common.loading}</p>}
        {list.data && <SessionsTable sessions={list.data.sessions} showUser={false} onRevoke={setTarget} />}
        {list.data && (
          <PagerControls
            pager={pager}
            nextToken={list.data.nextPageToken}
            shown={list.data.sessions.length}
            pageSize={pageSize}
            label={t.mySessions.title}
          />
        )}
      </section>
      <ConfirmDialog
        isOpen={target !== null}
        onOpenChange={(open) => !open && setTarget(null)}
        title={target?.current ? t.mySessions.revokeCurrentTitle : t.mySessions.revokeTitle}
        body={target?.current ? t.mySessions.revokeCurrentBody : t.mySessions.revokeBody(target?.remoteAddress ?? "")}
        confirmLabel={t.common.revoke}
        danger
        onConfirm={confirmRevoke}
        displayError={displayError}
      />
    </Page>
  );
}

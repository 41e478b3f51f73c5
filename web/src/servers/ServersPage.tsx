import { useState } from "react";
import { useMutation, useQuery } from "@connectrpc/connect-query";
import { useQueryClient } from "@tanstack/react-query";
import { ConnectionState, ServerService, type CallBridge, type Cluster, type DiscoveredCallBridge } from "@switchboard/client";
import { Button } from "react-aria-components";
import { ConfirmDialog, ModalDialog } from "../dialogs";
import { displayError } from "../errors";
import { formatUtc } from "../format";
import { Page } from "../pages";
import { invalidate } from "../session";
import { t } from "../strings";
import { Banner, LoadError, Panel, StatusMessage, useFlash } from "../ui";
import { BridgeForm, type BridgeFormMode } from "./BridgeForm";
import { CdrReceiverPanel } from "./CdrReceiverPanel";
import { JobsPanel } from "./JobsPanel";
import { ClusterForm } from "./ClusterForm";

/**
 * ServersPage lists the clusters with their Call Bridges, connection states
 * and discovered peers (SV-02, SV-17, SV-31), adds, edits and removes
 * bridges, edits clusters, and sets the CDR receiver address (ST-14).
 * Administrators only.
 */
export default function ServersPage({ title }: { title: string }) {
  const queryClient = useQueryClient();
  const clusters = useQuery(ServerService.method.listClusters, {}, { refetchInterval: 15_000 });
  const remove = useMutation(ServerService.method.removeCallBridge);
  const [form, setForm] = useState<BridgeFormMode | null>(null);
  const [removing, setRemoving] = useState<CallBridge | null>(null);
  const [editingCluster, setEditingCluster] = useState<Cluster | null>(null);
  const [flash, setFlash] = useFlash(10_000);
  const [addAllNotes, setAddAllNotes] = useState<string[]>([]);

  const reload = () => invalidate(queryClient, ServerService.method.listClusters);

  async function confirmRemove() {
    if (!removing) {
      return;
    }
    await remove.mutateAsync({ id: removing.id });
    setFlash(t.servers.removed(removing.displayName));
    await reload();
  }

  const list = clusters.data?.clusters ?? [];
  return (
    <Page title={title} intro={t.servers.intro}>
      <StatusMessage message={flash} />
      {addAllNotes.length > 0 && (
        <div className="banner banner-warning" role="alert">
          <ul className="plain-list">
            {addAllNotes.map((n) => (
              <li key={n}>{n}</li>
            ))}
          </ul>
        </div>
      )}
      <div className="toolbar">
        <span />
        <Button className="button primary" onPress={() => setForm({ kind: "add" })}>
          {t.servers.add}
        </Button>
      </div>
      {clusters.error && <LoadError what={title} reason={displayError(clusters.error)} />}
      {clusters.isPending && <p className="empty">{t.common.loading}</p>}
      {clusters.data && list.length === 0 && (
        <section className="panel">
          <p className="empty">{t.servers.empty}</p>
        </section>
      )}
      {list.map((c) => (
        <ClusterPanel
          key={c.id}
          cluster={c}
          onEditCluster={() => setEditingCluster(c)}
          onEdit={(b) => setForm({ kind: "edit", bridge: b })}
          onRemove={setRemoving}
          onAddDiscovered={(d) => setForm({ kind: "discovered", discovered: d, template: c.callBridges[0] })}
          onAddedAll={(message, notes) => {
            setFlash(message);
            setAddAllNotes(notes);
            void reload();
          }}
        />
      ))}

      <CdrReceiverPanel />
      <JobsPanel />

      <ModalDialog
        title={
          form?.kind === "edit"
            ? t.servers.editTitle(form.bridge.displayName)
            : form?.kind === "discovered"
              ? t.servers.addDiscoveredTitle(form.discovered.name)
              : t.servers.addTitle
        }
        isOpen={form !== null}
        onOpenChange={(o) => !o && setForm(null)}
        wide
      >
        {form && (
          <BridgeForm
            mode={form}
            onCancel={() => setForm(null)}
            onSaved={(bridge, added) => {
              setForm(null);
              setFlash(added ? t.servers.added(bridge.displayName) : t.servers.updated(bridge.displayName));
              void reload();
            }}
          />
        )}
      </ModalDialog>

      <ModalDialog title={t.servers.clusterTitle(editingCluster?.displayName ?? "")} isOpen={editingCluster !== null} onOpenChange={(o) => !o && setEditingCluster(null)}>
        {editingCluster && (
          <ClusterForm
            cluster={editingCluster}
            onCancel={() => setEditingCluster(null)}
            onSaved={(c) => {
              setEditingCluster(null);
              setFlash(t.servers.clusterUpdated(c.displayName));
              void reload();
            }}
          />
        )}
      </ModalDialog>

      <ConfirmDialog
        isOpen={removing !== null}
        onOpenChange={(o) => !o && setRemoving(null)}
        title={t.servers.removeTitle}
        body={t.servers.removeBody(removing?.displayName ?? "")}
        confirmLabel={t.servers.remove}
        danger
        onConfirm={confirmRemove}
        displayError={displayError}
      />
    </Page>
  );
}

interface ClusterPanelProps {
  cluster: Cluster;
  onEditCluster: () => void;
  onEdit: (bridge: CallBridge) => void;
  onRemove: (bridge: CallBridge) => void;
  onAddDiscovered: (discovered: DiscoveredCallBridge) => void;
  onAddedAll: (message: string, notes: string[]) => void;
}

function ClusterPanel({ cluster, onEditCluster, onEdit, onRemove, onAddDiscovered, onAddedAll }: ClusterPanelProps) {
  const addAll = useMutation(ServerService.method.addDiscoveredCallBridges);
  const [error, setError] = useState<string | null>(null);
  const template = cluster.callBridges[0];

  async function onAddAll() {
    setError(null);
    try {
      const res = await addAll.mutateAsync({ clusterId: cluster.id, templateCallBridgeId: template?.id ?? "" });
      const added = res.results.filter((r) => r.callBridge).length;
      const failed = res.results.filter((r) => !r.callBridge);
      onAddedAll(
        t.servers.addAllResult(added, failed.length),
        failed.map((r) => t.servers.addAllFailure(r.discovered?.name ?? "", r.failure?.message ?? "")),
      );
    } catch (err) {
      setError(displayError(err));
    }
  }

  return (
    <Panel
      id={`cluster-${cluster.id}`}
      title={cluster.displayName}
      description={
        <>
          <span className={cluster.meetingManagement ? "badge" : "badge badge-muted"}>
            {t.servers.meetingManagement}: {cluster.meetingManagement ? t.servers.on : t.servers.off}
          </span>
          <span className="badge badge-muted">{cluster.cmsClusterId ? t.servers.cmsClusterId(cluster.cmsClusterId) : t.servers.standalone}</span>
        </>
      }
      actions={
        <Button className="button small" onPress={onEditCluster} aria-label={t.servers.editClusterOf(cluster.displayName)}>
          {t.servers.editCluster}
        </Button>
      }
    >
      <div className="table-wrap">
        <table className="table">
          <caption className="visually-hidden">{t.servers.clusterCaption(cluster.displayName)}</caption>
          <thead>
            <tr>
              <th scope="col">{t.servers.bridge}</th>
              <th scope="col">{t.servers.address}</th>
              <th scope="col">{t.servers.state}</th>
              <th scope="col">{t.servers.lastContact}</th>
              <th scope="col">{t.servers.tls}</th>
              <th scope="col">
                <span className="visually-hidden">{t.common.actions}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {cluster.callBridges.map((b) => (
              <tr key={b.id}>
                <td>
                  <span className="strong">{b.displayName}</span>
                  <span className="sub">
                    {[b.bridgeName, b.softwareVersion && `${t.servers.version} ${b.softwareVersion}`].filter(Boolean).join(" · ")}
                  </span>
                </td>
                <td className="mono nowrap">{hostPort(b.address, b.port)}</td>
                <td>
                  <StateBadge state={b.connectionState} />
                  {b.connectionMessage && b.connectionState !== ConnectionState.CONNECTED && <span className="sub">{b.connectionMessage}</span>}
                </td>
                <td className="nowrap">{formatUtc(b.lastContactTime, t.common.never)}</td>
                <td className="nowrap">{b.tlsVerified ? t.servers.tlsVerified : <span className="warning-text">{t.servers.tlsNotVerified}</span>}</td>
                <td className="actions">
                  <Button className="button small" onPress={() => onEdit(b)} aria-label={t.servers.editBridge(b.displayName)}>
                    {t.common.edit}
                  </Button>
                  <Button className="button small danger-outline" onPress={() => onRemove(b)} aria-label={t.servers.removeBridge(b.displayName)}>
                    {t.servers.remove}
                  </Button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {cluster.discovered.length > 0 && (
        <div className="discovered">
          <div className="discovered-head">
            <h3>{t.servers.discovered}</h3>
            {template && (
              <div className="discovered-actions">
                <span className="muted">{t.servers.addAllHelp(template.displayName)}</span>
                <Button className="button small primary" onPress={() => void onAddAll()} isPending={addAll.isPending} aria-label={t.servers.addAllLabel(cluster.displayName)}>
                  {t.servers.addAll}
                </Button>
              </div>
            )}
          </div>
          {error && (
            <p className="banner banner-error" role="alert">
              {error}
            </p>
          )}
          <table className="table compact">
            <caption className="visually-hidden">{t.servers.discoveredCaption(cluster.displayName)}</caption>
            <thead>
              <tr>
                <th scope="col">{t.servers.discoveredName}</th>
                <th scope="col">{t.servers.discoveredUrl}</th>
                <th scope="col">
                  <span className="visually-hidden">{t.common.actions}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {cluster.discovered.map((d) => (
                <tr key={d.url || d.name}>
                  <td>{d.name}</td>
                  <td className="mono">{d.url || hostPort(d.address, d.port)}</td>
                  <td className="actions">
                    <Button className="button small" onPress={() => onAddDiscovered(d)} aria-label={t.servers.addOneLabel(d.name)}>
                      {t.servers.addOne}
                    </Button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {cluster.callBridges.length === 0 && <Banner kind="info">{t.servers.empty}</Banner>}
    </Panel>
  );
}

function hostPort(address: string, port: number): string {
  return `${address}:${port || 443}`;
}

const stateText: Record<ConnectionState, [string, "ok" | "busy" | "bad" | "warn" | "unknown"]> = {
  [ConnectionState.UNSPECIFIED]: [t.servers.states.unknown, "unknown"],
  [ConnectionState.UNKNOWN]: [t.servers.states.unknown, "unknown"],
  [ConnectionState.CONNECTED]: [t.servers.states.connected, "ok"],
  [ConnectionState.SYNCHRONIZING]: [t.servers.states.synchronizing, "busy"],
  [ConnectionState.AUTH_FAILED]: [t.servers.states.authFailed, "bad"],
  [ConnectionState.TLS_FAILED]: [t.servers.states.tlsFailed, "bad"],
  [ConnectionState.UNREACHABLE]: [t.servers.states.unreachable, "bad"],
  [ConnectionState.EVENTS_DISRUPTED]: [t.servers.states.eventsDisrupted, "warn"],
  [ConnectionState.NOT_CALL_BRIDGE]: [t.servers.states.notCallBridge, "bad"],
};

/** StateBadge is a bridge's connection state: a shape and the words, never colour alone. */
export function StateBadge({ state }: { state: ConnectionState }) {
  const [text, kind] = stateText[state] ?? stateText[ConnectionState.UNKNOWN];
  const glyph = kind === "ok" ? "✓" : kind === "bad" ? "✕" : kind === "warn" ? "!" : kind === "busy" ? "↻" : "?";
  return (
    <span className={`state state-${kind}`} data-state={ConnectionState[state]}>
      <span className="state-glyph" aria-hidden="true">
        {glyph}
      </span>
      {text}
    </span>
  );
}

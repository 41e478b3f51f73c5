import { useEffect, useState } from "react";
import { useQuery } from "@connectrpc/connect-query";
import { useQueryClient } from "@tanstack/react-query";
import { LicensingMode, LicensingService, ServerService, type GetLicenseDetailsResponse } from "@switchboard/client";
import { Link, useSearchParams } from "react-router";
import { displayError } from "../errors";
import { formatUtc } from "../format";
import { SelectField } from "../meetings/SelectField";
import { Page } from "../pages";
import { invalidate } from "../session";
import { t } from "../strings";
import { Banner, LoadError, StatusMessage, useFlash } from "../ui";
import { AllocationDialog } from "./AllocationDialog";
import { FeatureBoxPanel } from "./FeatureBoxPanel";
import { modeName } from "./labels";
import { ReportPanel } from "./ReportPanel";
import { tl } from "./strings";
import { UtilizationPanel } from "./UtilizationPanel";

/** The Settings tab where the mode is chosen. */
export const settingsPath = "/settings/licensing";

/**
 * LicensesPage is the administrators' Licenses view (LI-46 … LI-55, LI-60):
 * with no mode chosen, a pointer to Settings › Licensing; with mode None,
 * that another instance licenses; otherwise one box per feature, the
 * utilisation graphs and the 90-day report. In Traditional mode a cluster
 * is chosen, and kept in the URL (?cluster=ID) so the Overview can link to
 * a cluster's view. It loads on first use.
 */
export default function LicensesPage({ title }: { title: string }) {
  const mode = useQuery(LicensingService.method.getLicensingMode);
  const m = mode.data?.mode;
  return (
    <Page title={title} intro={tl.intro}>
      {mode.error && <LoadError what={tl.modeTitle} reason={displayError(mode.error)} />}
      {mode.isPending && <p className="muted">{t.common.loading}</p>}
      {(m === LicensingMode.UNSET || m === LicensingMode.UNSPECIFIED) && (
        <p className="notice" data-testid="mode-unset">
          {tl.modeUnset} <Link to={settingsPath}>{tl.modeUnsetAction}</Link>.
        </p>
      )}
      {m === LicensingMode.NONE && (
        <p className="notice" data-testid="mode-none">
          {tl.modeNone} <Link to={settingsPath}>{tl.changeMode}</Link>.
        </p>
      )}
      {m === LicensingMode.SMART && <LicenseDetails mode={m} clusterId="" clusterName="" />}
      {m === LicensingMode.TRADITIONAL && <TraditionalView />}
    </Page>
  );
}

/** TraditionalView picks the cluster (from the URL, else the first) and shows its licences (LI-49). */
function TraditionalView() {
  const clusters = useQuery(ServerService.method.listClusters);
  const [params, setParams] = useSearchParams();
  const list = clusters.data?.clusters ?? [];
  const wanted = params.get("cluster") ?? "";
  const selected = list.find((c) => c.id === wanted) ?? list[0];
  useEffect(() => {
    // Put the cluster shown into the URL, so a reload or a copied link keeps it.
    if (selected && selected.id !== wanted) {
      setParams({ cluster: selected.id }, { replace: true });
    }
  }, [selected, wanted, setParams]);

  if (clusters.error) {
    return <LoadError what={tl.cluster} reason={displayError(clusters.error)} />;
  }
  if (clusters.isPending) {
    return <p className="muted">{t.common.loading}</p>;
  }
  if (!selected) {
    return <p className="notice">{tl.noClusters}</p>;
  }
  return (
    <>
      <div className="toolbar">
        <SelectField
          label={tl.cluster}
          value={selected.id}
          onChange={(id) => setParams({ cluster: id })}
          options={list.map((c) => ({ id: c.id, label: c.displayName || c.id }))}
        />
      </div>
      <LicenseDetails key={selected.id} mode={LicensingMode.TRADITIONAL} clusterId={selected.id} clusterName={selected.displayName || selected.id} />
    </>
  );
}

function LicenseDetails({ mode, clusterId, clusterName }: { mode: LicensingMode; clusterId: string; clusterName: string }) {
  const queryClient = useQueryClient();
  const details = useQuery(LicensingService.method.getLicenseDetails, { clusterId }, { refetchInterval: 60_000 });
  const [editing, setEditing] = useState(false);
  const [flash, setFlash] = useFlash(10_000);
  const reload = () => invalidate(queryClient, LicensingService.method.getLicenseDetails, LicensingService.method.getUtilization);

  if (details.error) {
    return <LoadError what={tl.title} reason={displayError(details.error)} />;
  }
  if (!details.data) {
    return <p className="muted">{t.common.loading}</p>;
  }
  const d: GetLicenseDetailsResponse = details.data;
  const smart = mode === LicensingMode.SMART;
  const entered = d.features.some((b) => b.customizationAllocated || b.types.some((u) => u.allocated > 0));
  return (
    <>
      <p className="muted mode-line">
        {tl.modeLine(modeName(d.mode))} {d.evaluateTime && tl.evaluated(formatUtc(d.evaluateTime))}{" "}
        <Link to={settingsPath}>{tl.changeMode}</Link>
      </p>
      <StatusMessage message={flash} />
      {d.usageBackfillInProgress && (
        <div role="status" data-testid="backfill-notice">
          <Banner kind="info">{tl.backfill}</Banner>
        </div>
      )}
      <div className="feature-grid">
        {d.features.map((box) => (
          <FeatureBoxPanel
            key={box.feature}
            box={box}
            editable={smart}
            onEdit={() => setEditing(true)}
            clusterId={clusterId}
            clusterName={clusterName}
            onTrialStarted={async (message) => {
              setFlash(message);
              await reload();
            }}
          />
        ))}
      </div>
      <UtilizationPanel clusterId={clusterId} />
      <ReportPanel clusterId={clusterId} clusterName={clusterName} />
      {smart && (
        <AllocationDialog
          isOpen={editing}
          onOpenChange={setEditing}
          boxes={d.features}
          entered={entered}
          onSaved={async () => {
            setEditing(false);
            setFlash(tl.allocationSaved);
            await reload();
          }}
        />
      )}
    </>
  );
}

import { useState } from "react";
import { useMutation } from "@connectrpc/connect-query";
import { Feature, LicensingService, SsmCompliance, type FeatureBox, type TypeUsage } from "@switchboard/client";
import { Button } from "react-aria-components";
import { ConfirmDialog } from "../dialogs";
import { displayError, sentence } from "../errors";
import { EnforcementWarning, StatusBadge, allocationTypeName, featureName } from "./labels";
import { tl } from "./strings";

interface FeatureBoxProps {
  box: FeatureBox;
  /** Smart mode: the box offers Edit allocation. */
  editable: boolean;
  onEdit: () => void;
  /** The cluster of the view (Traditional), "" for the deployment. */
  clusterId: string;
  clusterName: string;
  onTrialStarted: (message: string) => Promise<void>;
}

/**
 * FeatureBoxPanel is one feature of the Licenses view (LI-40, LI-46): the
 * header in the order the specification gives (name, status, warning,
 * Start trial), the trial's days left, Allocated and the 90-day peak per
 * licence type, SSM's answer (Smart), and the remedies.
 */
export function FeatureBoxPanel({ box, editable, onEdit, clusterId, clusterName, onTrialStarted }: FeatureBoxProps) {
  const startTrial = useMutation(LicensingService.method.startTrial);
  const [confirming, setConfirming] = useState(false);
  const name = featureName(box.feature);
  const headingId = `feature-${box.feature}-heading`;
  const trial = box.trial;

  async function start() {
    const res = await startTrial.mutateAsync({ feature: box.feature, clusterId });
    await onTrialStarted(tl.trialStarted(name, res.trial?.daysLeft ?? 90));
  }

  return (
    <section className="panel feature-box" aria-labelledby={headingId} data-feature={Feature[box.feature]}>
      <div className="feature-head">
        <h2 id={headingId}>{name}</h2>
        <StatusBadge status={box.status} />
        <EnforcementWarning enforcement={box.enforcement} />
        {trial?.available && (
          <Button className="button small primary" onPress={() => setConfirming(true)}>
            {tl.startTrial}
          </Button>
        )}
        {editable && (
          <Button className="button small feature-edit" aria-label={tl.editAllocationLabel(name)} onPress={onEdit}>
            {tl.editAllocation}
          </Button>
        )}
      </div>
      {trial?.active && (
        <p className="trial-left" data-testid="trial-days-left">
          {trial.coveredByMeetingsTrial && box.feature !== Feature.MEETINGS ? tl.trialCovered : tl.trialDaysLeft(trial.daysLeft)}
        </p>
      )}
      {box.enforcement?.reason && <p className="muted feature-reason">{asSentence(box.enforcement.reason)}</p>}
      {box.feature === Feature.CUSTOMIZATION ? (
        <dl className="facts feature-facts">
          <dt>{tl.allocated}</dt>
          <dd data-testid="customization-allocated">{box.customizationAllocated ? tl.yes : tl.no}</dd>
        </dl>
      ) : (
        <TypeTable feature={name} types={box.types} />
      )}
      {box.ssmCompliance !== SsmCompliance.UNSPECIFIED && (
        <div className="feature-ssm">
          <span className="field-label">{tl.ssmCompliance}</span>
          <p className={box.ssmCompliance === SsmCompliance.SHORTFALL ? "warning-text" : undefined}>
            {box.ssmCompliance === SsmCompliance.SHORTFALL ? tl.ssmShortfall : tl.ssmInCompliance}
          </p>
          {Object.keys(box.ssmPurchased).length > 0 && (
            <ul className="plain-list muted">
              {Object.entries(box.ssmPurchased).map(([type, n]) => (
                <li key={type}>{tl.ssmPurchased(type, n)}</li>
              ))}
            </ul>
          )}
        </div>
      )}
      {box.remedies.length > 0 && (
        <div className="feature-remedies">
          <span className="field-label">{tl.remedies}</span>
          <ul>
            {box.remedies.map((r) => (
              <li key={r}>{r}</li>
            ))}
          </ul>
        </div>
      )}
      <ConfirmDialog
        title={tl.startTrialTitle(name)}
        body={clusterId ? `${tl.startTrialBody(name)} ${tl.startTrialBodyCluster(clusterName)}` : tl.startTrialBody(name)}
        confirmLabel={tl.startTrial}
        isOpen={confirming}
        onOpenChange={setConfirming}
        onConfirm={start}
        displayError={displayError}
      />
    </section>
  );
}

/** asSentence writes a server fragment ("no activation key on …") as a sentence. */
function asSentence(text: string): string {
  const s = sentence(text);
  return /[.!?]$/.test(s) ? s : `${s}.`;
}

function TypeTable({ feature, types }: { feature: string; types: TypeUsage[] }) {
  if (types.length === 0) {
    return null;
  }
  return (
    <div className="table-wrap">
      <table className="table compact feature-types">
        <caption className="visually-hidden">{tl.typeCaption(feature)}</caption>
        <thead>
          <tr>
            <th scope="col">{tl.type}</th>
            <th scope="col" className="num">
              {tl.allocated}
            </th>
            <th scope="col" className="num">
              {tl.peak}
            </th>
            <th scope="col" className="num">
              {tl.percentage}
            </th>
            <th scope="col">{tl.typeStatus}</th>
          </tr>
        </thead>
        <tbody>
          {types.map((u) => (
            <tr key={u.type}>
              <th scope="row">{allocationTypeName(u.type)}</th>
              <td className="num" data-testid="allocated">
                {u.notInstalled ? (
                  <span className="lic-status lic-bad" title={tl.notInstalledHelp} data-testid="not-installed">
                    {tl.notInstalled}
                  </span>
                ) : (
                  u.allocated
                )}
              </td>
              <td className="num" data-testid="peak">
                {Number.isInteger(u.peak90Day) ? u.peak90Day : u.peak90Day.toFixed(2)}
              </td>
              <td className="num">{u.peakPercentage !== undefined ? tl.percent(u.peakPercentage) : "—"}</td>
              <td title={tl.daysOverTitle(u.daysOver)}>
                <StatusBadge status={u.status} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

import { Feature, LicensingMode, type GetLicenseStatusResponse, type LicenseStatusRow } from "@switchboard/client";
import { Link } from "react-router";
import { Panel } from "../ui";
import { EnforcementWarning, StatusBadge, featureName } from "./labels";
import { tl } from "./strings";

const features = [Feature.MEETINGS, Feature.RECORDING_STREAMING, Feature.CUSTOMIZATION] as const;

/** licensesLink is the Licenses view, pre-filtered to a cluster when there is one (OV-14). */
export function licensesLink(clusterId: string): string {
  return clusterId ? `/licenses?cluster=${encodeURIComponent(clusterId)}` : "/licenses";
}

/**
 * LicenseStatusBlock is the Overview's licence status (OV-12 … OV-15): one
 * row for the deployment in Smart mode, one per cluster in Traditional
 * mode, each with the three features' statuses and warnings. Administrators
 * get links to the Licenses view; video operators see the same rows
 * without them, since the view is not theirs (OV-15). The Overview loads
 * it on demand, with the rest of the licensing code.
 */
export default function LicenseStatusBlock({ status, linkable }: { status: GetLicenseStatusResponse; linkable: boolean }) {
  const smart = status.mode === LicensingMode.SMART;
  return (
    <Panel
      id="license-status"
      title={tl.overviewTitle}
      actions={
        linkable && smart ? (
          <Link className="button small" to={licensesLink("")}>
            {tl.openLicenses}
          </Link>
        ) : undefined
      }
    >
      <div className="table-wrap">
        <table className="table compact license-summary">
          <caption className="visually-hidden">{tl.overviewCaption}</caption>
          <thead>
            <tr>
              <th scope="col">{tl.scope}</th>
              {features.map((f) => (
                <th key={f} scope="col">
                  {featureName(f)}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {status.rows.map((row) => (
              <StatusRow key={row.clusterId || "deployment"} row={row} linkable={linkable} />
            ))}
          </tbody>
        </table>
      </div>
    </Panel>
  );
}

function StatusRow({ row, linkable }: { row: LicenseStatusRow; linkable: boolean }) {
  const name = row.clusterId ? row.clusterName || row.clusterId : tl.deployment;
  return (
    <tr data-cluster={row.clusterId}>
      <th scope="row">
        {linkable && row.clusterId ? (
          <Link to={licensesLink(row.clusterId)} aria-label={tl.openClusterLicenses(name)}>
            {name}
          </Link>
        ) : (
          name
        )}
      </th>
      {features.map((f) => {
        const s = row.features.find((x) => x.feature === f);
        return (
          <td key={f} data-feature={Feature[f]}>
            {s ? (
              <span className="lic-cell">
                <StatusBadge status={s.status} />
                <EnforcementWarning enforcement={s.enforcement} />
              </span>
            ) : (
              "—"
            )}
          </td>
        );
      })}
    </tr>
  );
}

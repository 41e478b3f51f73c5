// The Overview page (OV-01, OV-04, OV-08) and the full notification list
// with its filters and history (OV-05). Both reload when the
// WatchNotifications stream reports a change (see notifications.tsx); they
// never poll.

import { lazy, Suspense, useState } from "react";
import { useQuery } from "@connectrpc/connect-query";
import { keepPreviousData } from "@tanstack/react-query";
import { OverviewService, Severity, type Notification, type PlaceholderStatus } from "@switchboard/client";
import { Link } from "react-router";
import { displayError, sentence } from "./errors";
import { CheckboxInput, Choices } from "./fields";
import { LocalTime, SeverityLabel, viewerZone } from "./notifications";
import { Page, ServerInfo } from "./pages";
import { t } from "./strings";
import { LoadError, PagerControls, Panel, usePager } from "./ui";

// The licence status block is licensing code: it loads with the rest of
// it, only when the server sends a status (OV-12).
const LicenseStatusBlock = lazy(() => import("./licensing/LicenseStatusBlock"));

/** How many notifications the overview shows before "See all (N)". */
const previewSize = 10;
const pageSize = 50;

/**
 * OverviewPage is the landing page: current notifications first, for every
 * role (OV-04), then the licence status when licensing is on (OV-12);
 * only administrators get its links to the Licenses view (OV-15).
 */
export function OverviewPage({ title, isAdministrator }: { title: string; isAdministrator: boolean }) {
  const overview = useQuery(OverviewService.method.getOverview, { previewSize });
  const data = overview.data;
  const total = data?.totalNotifications ?? 0;
  return (
    <Page title={title}>
      <Panel
        id="current-notifications"
        title={t.notifications.current}
        description={t.notifications.localZone(viewerZone())}
        actions={
          data && total > 0 ? (
            <Link className="button small" to="/notifications">
              {t.notifications.seeAll(total)}
            </Link>
          ) : undefined
        }
      >
        {overview.error && <LoadError what={t.notifications.current} reason={displayError(overview.error)} />}
        {overview.isPending && <p className="empty">{t.common.loading}</p>}
        {data && data.notifications.length === 0 && <p className="empty">{t.notifications.empty}</p>}
        {data && data.notifications.length > 0 && <NotificationTable notifications={data.notifications} caption={t.notifications.current} />}
      </Panel>
      {data?.licenseStatus && (
        <Suspense fallback={null}>
          <LicenseStatusBlock status={data.licenseStatus} linkable={isAdministrator} />
        </Suspense>
      )}
      {data && (
        <div className="status-row">
          <PlaceholderPanel title={t.notifications.cloudConnector} status={data.cloudConnector} />
        </div>
      )}
      <ServerInfo />
    </Page>
  );
}

function PlaceholderPanel({ title, status }: { title: string; status: PlaceholderStatus | undefined }) {
  return (
    <Panel title={title}>
      <p className="muted panel-text">{status?.message ? sentence(status.message) : t.notifications.notConfigured}</p>
    </Panel>
  );
}

function NotificationTable({ notifications, caption, history }: { notifications: Notification[]; caption: string; history?: boolean }) {
  return (
    <div className="table-wrap">
      <table className="table notifications">
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">{t.notifications.severity}</th>
            <th scope="col">{t.notifications.subject}</th>
            <th scope="col">{t.notifications.message}</th>
            <th scope="col">{t.notifications.raised}</th>
            {history && <th scope="col">{t.notifications.resolved}</th>}
          </tr>
        </thead>
        <tbody>
          {notifications.map((n) => (
            <tr key={n.id} className={n.resolveTime ? "resolved" : undefined}>
              <td className="nowrap">
                <SeverityLabel severity={n.severity} />
              </td>
              <td>
                {n.subject?.displayName || n.subject?.id || "—"}
                {n.subject?.kind && <span className="sub">{t.notifications.kinds[n.subject.kind] ?? n.subject.kind}</span>}
              </td>
              <td>
                {n.message}
                <span className="sub mono">{n.code}</span>
              </td>
              <td className="nowrap">
                <LocalTime ts={n.createTime} />
              </td>
              {history && <td className="nowrap">{n.resolveTime ? <LocalTime ts={n.resolveTime} /> : t.notifications.notResolved}</td>}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

type SeverityFilter = "all" | "error" | "warning" | "information";

const severityOf: Record<SeverityFilter, Severity> = {
  all: Severity.UNSPECIFIED,
  error: Severity.ERROR,
  warning: Severity.WARNING,
  information: Severity.INFORMATION,
};

const severityChoices = [
  { value: "all", label: t.notifications.allSeverities },
  { value: "error", label: t.notifications.error },
  { value: "warning", label: t.notifications.warning },
  { value: "information", label: t.notifications.information },
] as const;

/** NotificationsPage is the full list, filtered by severity, with resolved ones on request. */
export function NotificationsPage() {
  const [severity, setSeverity] = useState<SeverityFilter>("all");
  const [history, setHistory] = useState(false);
  const pager = usePager();
  const list = useQuery(
    OverviewService.method.listNotifications,
    { severity: severityOf[severity], includeResolved: history, pageSize, pageToken: pager.token },
    { placeholderData: keepPreviousData },
  );
  const items = list.data?.notifications ?? [];
  return (
    <Page title={t.notifications.title} intro={t.notifications.localZone(viewerZone())}>
      <div className="toolbar filters">
        <Choices
          label={t.notifications.severityFilter}
          name="severity"
          orientation="horizontal"
          value={severity}
          onChange={(v) => {
            setSeverity(v);
            pager.reset();
          }}
          choices={severityChoices}
        />
        <CheckboxInput
          isSelected={history}
          onChange={(v) => {
            setHistory(v);
            pager.reset();
          }}
        >
          {t.notifications.includeResolved}
        </CheckboxInput>
      </div>
      <section className="panel flush" aria-label={t.notifications.caption}>
        {list.error && <LoadError what={t.notifications.caption} reason={displayError(list.error)} />}
        {list.isPending && <p className="empty">{t.common.loading}</p>}
        {list.data && (
          <p className="muted list-count" role="status">
            {t.notifications.total(list.data.totalSize)}
          </p>
        )}
        {list.data && items.length === 0 && (
          <p className="empty">{severity === "all" && !history ? t.notifications.empty : t.notifications.emptyFiltered}</p>
        )}
        {items.length > 0 && <NotificationTable notifications={items} caption={t.notifications.caption} history={history} />}
        {list.data && <PagerControls pager={pager} nextToken={list.data.nextPageToken} shown={items.length} pageSize={pageSize} label={t.notifications.caption} />}
      </section>
    </Page>
  );
}

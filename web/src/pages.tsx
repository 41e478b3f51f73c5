import { useEffect, useRef, type ReactNode } from "react";
import { useQuery } from "@connectrpc/connect-query";
import { timestampDate, type Timestamp } from "@bufbuild/protobuf/wkt";
import { SystemService } from "@switchboard/client";
import { displayError } from "./errors";
import { Link } from "react-router";
import type { Area } from "./nav";

/**
 * Page titles the document, renders the page heading and moves focus to it,
 * so a screen reader announces where a navigation landed.
 */
function Page({ title, children }: { title: string; children: ReactNode }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} · Switchboard`;
    heading.current?.focus({ preventScroll: true });
  }, [title]);
  return (
    <section className="page" aria-labelledby="page-heading">
      <h1 id="page-heading" ref={heading} tabIndex={-1}>
        {title}
      </h1>
      {children}
    </section>
  );
}

function NotYet({ area }: { area: Area }) {
  return <p className="notice">{area.pending}</p>;
}

/** PlaceholderPage stands in for an area this build does not have yet. */
export function PlaceholderPage({ area }: { area: Area }) {
  return (
    <Page title={area.title}>
      <NotYet area={area} />
    </Page>
  );
}

/** OverviewPage is the landing page. For now it describes the server. */
export function OverviewPage({ area }: { area: Area }) {
  return (
    <Page title={area.title}>
      <NotYet area={area} />
      <ServerInfo />
    </Page>
  );
}

function formatUtc(ts: Timestamp | undefined): string {
  if (!ts) {
    return "unknown";
  }
  return `${timestampDate(ts).toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

function ServerInfo() {
  const version = useQuery(SystemService.method.getVersion);
  return (
    <section className="panel" aria-labelledby="server-heading">
      <h2 id="server-heading">This server</h2>
      {version.isPending && <p className="muted">Loading…</p>}
      {version.error && <p className="muted">Version information is unavailable: {displayError(version.error)}</p>}
      {version.data && (
        <dl className="facts">
          <dt>Version</dt>
          <dd>{version.data.version || "unknown"}</dd>
          <dt>Revision</dt>
          <dd>{version.data.revision || "unknown"}</dd>
          <dt>Database</dt>
          <dd>{version.data.database || "unknown"}</dd>
          <dt>Started</dt>
          <dd>{formatUtc(version.data.startTime)}</dd>
        </dl>
      )}
    </section>
  );
}

/** RestrictedPage answers a direct link to an area the user's role may not open. */
export function RestrictedPage({ area }: { area: Area }) {
  return (
    <Page title={area.title}>
      <p className="notice">
        {area.title} is for administrators. <Link to="/">Go to Overview</Link>
      </p>
    </Page>
  );
}

/** NotFoundPage answers any other path. */
export function NotFoundPage() {
  return (
    <Page title="Page not found">
      <p className="notice">
        There is no page at this address. <Link to="/">Go to Overview</Link>
      </p>
    </Page>
  );
}

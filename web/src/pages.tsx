import { useEffect, useRef, type ReactNode } from "react";
import { useQuery } from "@connectrpc/connect-query";
import { SystemService } from "@switchboard/client";
import { Link } from "react-router";
import { displayError } from "./errors";
import { formatUtc } from "./format";
import type { Area } from "./nav";
import { t } from "./strings";

/**
 * Page titles the document, renders the page heading and moves focus to it,
 * so a screen reader announces where a navigation landed.
 */
export function Page({ title, intro, children }: { title: string; intro?: ReactNode; children: ReactNode }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = t.product.title(title);
    heading.current?.focus({ preventScroll: true });
  }, [title]);
  return (
    <section className="page" aria-labelledby="page-heading">
      <div className="page-head">
        <h1 id="page-heading" ref={heading} tabIndex={-1}>
          {title}
        </h1>
        {intro && <p className="page-intro">{intro}</p>}
      </div>
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

/** ServerInfo describes the server: version, revision, database, start time. */
export function ServerInfo() {
  const version = useQuery(SystemService.method.getVersion);
  return (
    <section className="panel" aria-labelledby="server-heading">
      <h2 id="server-heading">{t.server.title}</h2>
      {version.isPending && <p className="muted">{t.common.loading}</p>}
      {version.error && <p className="muted">{t.server.unavailable(displayError(version.error))}</p>}
      {version.data && (
        <dl className="facts">
          <dt>{t.server.version}</dt>
          <dd>{version.data.version || t.common.unknown}</dd>
          <dt>{t.server.revision}</dt>
          <dd>{version.data.revision || t.common.unknown}</dd>
          <dt>{t.server.database}</dt>
          <dd>{version.data.database || t.common.unknown}</dd>
          <dt>{t.server.started}</dt>
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
        {t.areas.restricted(area.title)} <Link to="/">{t.areas.goToOverview}</Link>
      </p>
    </Page>
  );
}

/** NotFoundPage answers any other path. */
export function NotFoundPage() {
  return (
    <Page title={t.areas.notFoundTitle}>
      <p className="notice">
        {t.areas.notFound} <Link to="/">{t.areas.goToOverview}</Link>
      </p>
    </Page>
  );
}

// Building blocks shared by the console's pages: banners, live status
// messages, panels and paging. Form fields are in fields.tsx and dialogs in
// dialogs.tsx, so the code every page needs stays small.

import { useEffect, useState, type ReactNode } from "react";
import { Button } from "react-aria-components";
import { t } from "./strings";

/** FormAlert announces an error for a whole form (an assertive live region that is always present). */
export function FormAlert({ message, id }: { message: string | null; id?: string }) {
  return (
    <div className="form-status" role="alert" aria-atomic="true">
      {message && (
        <p className="banner banner-error" id={id}>
          {message}
        </p>
      )}
    </div>
  );
}

/** StatusMessage announces a success politely. */
export function StatusMessage({ message }: { message: string | null }) {
  return (
    <div className="form-status" role="status" aria-atomic="true">
      {message && <p className="banner banner-success">{message}</p>}
    </div>
  );
}

/** Banner is a standing message on a page. */
export function Banner({ kind, children }: { kind: "info" | "warning" | "error" | "success"; children: ReactNode }) {
  return <p className={`banner banner-${kind}`}>{children}</p>;
}

interface PanelProps {
  title: string;
  description?: ReactNode;
  actions?: ReactNode;
  children: ReactNode;
  id?: string;
}

/** Panel is a titled section of a page. */
export function Panel({ title, description, actions, children, id }: PanelProps) {
  const headingId = `${id ?? title.replace(/\W+/g, "-").toLowerCase()}-heading`;
  return (
    <section className="panel" aria-labelledby={headingId}>
      <div className="panel-head">
        <div>
          <h2 id={headingId}>{title}</h2>
          {description && <p className="panel-description">{description}</p>}
        </div>
        {actions && <div className="panel-actions">{actions}</div>}
      </div>
      {children}
    </section>
  );
}

/** Pager pages through a list with page tokens: a stack of the tokens of the pages before. */
export interface Pager {
  token: string;
  index: number;
  next: (token: string) => void;
  previous: () => void;
  reset: () => void;
}

/** usePager keeps the page tokens of a paged list. */
export function usePager(): Pager {
  const [stack, setStack] = useState<string[]>([""]);
  return {
    token: stack[stack.length - 1] ?? "",
    index: stack.length - 1,
    next: (token) => setStack((s) => [...s, token]),
    previous: () => setStack((s) => (s.length > 1 ? s.slice(0, -1) : s)),
    reset: () => setStack([""]),
  };
}

/** PagerControls are the Previous/Next buttons under a paged table. */
export function PagerControls({ pager, nextToken, shown, pageSize, label }: { pager: Pager; nextToken: string; shown: number; pageSize: number; label: string }) {
  if (pager.index === 0 && !nextToken) {
    return null;
  }
  const first = pager.index * pageSize + 1;
  return (
    <nav className="pager" aria-label={t.common.pagination(label)}>
      <span className="muted">{t.common.pageOf(first, first + shown - 1)}</span>
      <Button className="button small" isDisabled={pager.index === 0} onPress={pager.previous}>
        {t.common.previous}
      </Button>
      <Button className="button small" isDisabled={!nextToken} onPress={() => pager.next(nextToken)}>
        {t.common.next}
      </Button>
    </nav>
  );
}

/** useDebounced returns value once it has stopped changing for delayMs. */
export function useDebounced<T>(value: T, delayMs = 300): T {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setDebounced(value), delayMs);
    return () => clearTimeout(timer);
  }, [value, delayMs]);
  return debounced;
}

/** useFlash shows a status message that clears itself after a while. */
export function useFlash(ms = 6000): [string | null, (message: string | null) => void] {
  const [message, setMessage] = useState<string | null>(null);
  useEffect(() => {
    if (!message) {
      return;
    }
    const timer = setTimeout(() => setMessage(null), ms);
    return () => clearTimeout(timer);
  }, [message, ms]);
  return [message, setMessage];
}

/** LoadError says a part of a page could not be loaded. */
export function LoadError({ what, reason }: { what: string; reason: string }) {
  return (
    <p className="banner banner-error" role="alert">
      {t.common.couldNotLoad(what, reason)}
    </p>
  );
}

import type { Session } from "@switchboard/client";
import { Button } from "react-aria-components";
import { agentSummary, formatUtc, formatUtcMinute } from "./format";
import { identityLabel } from "./identity";
import { t } from "./strings";

interface SessionsTableProps {
  sessions: readonly Session[];
  /** Show whose session each is (the administrators' list). */
  showUser: boolean;
  onRevoke: (session: Session) => void;
}

/** SessionsTable lists sessions with their source, times (UTC) and a Revoke button. */
export function SessionsTable({ sessions, showUser, onRevoke }: SessionsTableProps) {
  if (sessions.length === 0) {
    return <p className="empty">{t.sessions.empty}</p>;
  }
  return (
    <div className="table-wrap">
      <table className="table">
        <caption className="visually-hidden">{t.sessions.caption}</caption>
        <thead>
          <tr>
            {showUser && <th scope="col">{t.sessions.user}</th>}
            <th scope="col">{t.sessions.address}</th>
            <th scope="col">{t.sessions.started}</th>
            <th scope="col">{t.sessions.lastActivity}</th>
            <th scope="col">
              <span className="visually-hidden">{t.common.actions}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {sessions.map((s) => (
            <tr key={String(s.id)}>
              {showUser && <td>{s.identity ? identityLabel(s.identity) : t.common.unknown}</td>}
              <td>
                <span className="mono">{s.remoteAddress || t.common.unknown}</span>
                {s.current && <span className="badge">{t.sessions.current}</span>}
                {s.userAgent && (
                  <span className="agent" title={s.userAgent}>
                    {agentSummary(s.userAgent)}
                  </span>
                )}
              </td>
              <td className="nowrap" title={formatUtc(s.createTime)}>
                {formatUtcMinute(s.createTime)}
              </td>
              <td className="nowrap" title={formatUtc(s.lastActivityTime)}>
                {formatUtcMinute(s.lastActivityTime)}
                <span className="sub">{t.sessions.endsBy(formatUtcMinute(s.expireTime))}</span>
              </td>
              <td className="actions">
                <Button
                  className="button small danger-outline"
                  onPress={() => onRevoke(s)}
                  aria-label={t.sessions.revokeLabel(s.identity?.username ?? "", s.remoteAddress, formatUtc(s.createTime))}
                >
                  {t.common.revoke}
                </Button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

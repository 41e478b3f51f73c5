import { useState } from "react";
import { useMutation, useQuery } from "@connectrpc/connect-query";
import { useQueryClient } from "@tanstack/react-query";
import { SystemService, type Job } from "@switchboard/client";
import { Button } from "react-aria-components";
import { displayError, sentence } from "../errors";
import { formatUtc } from "../format";
import { invalidate } from "../session";
import { t } from "../strings";
import { LoadError, Panel, StatusMessage, useFlash } from "../ui";

/** JobsPanel lists the background jobs with their last result, and runs one now. */
export function JobsPanel() {
  const queryClient = useQueryClient();
  const jobs = useQuery(SystemService.method.listJobs, {});
  const run = useMutation(SystemService.method.runJob);
  const [flash, setFlash] = useFlash();
  const [error, setError] = useState<string | null>(null);

  async function runNow(job: Job) {
    setError(null);
    try {
      await run.mutateAsync({ name: job.name });
      setFlash(t.servers.jobStarted(job.name));
      // The run is asynchronous: its result shows in the list a moment later.
      setTimeout(() => void invalidate(queryClient, SystemService.method.listJobs), 1500);
    } catch (err) {
      setError(displayError(err));
    }
  }

  const list = jobs.data?.jobs ?? [];
  return (
    <Panel id="jobs" title={t.servers.jobs}>
      <StatusMessage message={flash} />
      {error && (
        <p className="banner banner-error" role="alert">
          {error}
        </p>
      )}
      {jobs.error && <LoadError what={t.servers.jobs} reason={displayError(jobs.error)} />}
      {jobs.data && list.length === 0 && <p className="empty">{t.servers.jobsEmpty}</p>}
      {list.length > 0 && (
        <div className="table-wrap">
          <table className="table compact">
            <caption className="visually-hidden">{t.servers.jobs}</caption>
            <thead>
              <tr>
                <th scope="col">{t.servers.jobName}</th>
                <th scope="col">{t.servers.jobSchedule}</th>
                <th scope="col">{t.servers.jobLast}</th>
                <th scope="col">{t.servers.jobStatus}</th>
                <th scope="col">
                  <span className="visually-hidden">{t.common.actions}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.map((j) => (
                <tr key={j.name}>
                  <td>
                    <span className="mono">{j.name}</span>
                    {j.description && <span className="sub">{j.description}</span>}
                  </td>
                  <td className="mono nowrap">{j.schedule}</td>
                  <td className="nowrap">{formatUtc(j.lastEndTime ?? j.lastStartTime, t.common.never)}</td>
                  <td>{j.running ? t.servers.jobRunning : j.lastError ? <span className="warning-text">{sentence(j.lastError)}</span> : j.lastSummary || "—"}</td>
                  <td className="actions">
                    <Button className="button small" onPress={() => void runNow(j)} isDisabled={j.running} aria-label={t.servers.runJob(j.name)}>
                      {t.servers.runNow}
                    </Button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Panel>
  );
}

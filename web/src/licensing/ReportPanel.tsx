import { useEffect, useMemo, useRef, useState } from "react";
import { createSwitchboardTransport } from "@switchboard/client";
import { Button, ProgressBar } from "react-aria-components";
import { apiBaseUrl } from "../api";
import { displayError } from "../errors";
import { formatSize } from "../format";
import { Panel, StatusMessage, useFlash } from "../ui";
import { fetchReport, reportFileName, saveBlob, type ReportProgressState } from "./report";
import { tl } from "./strings";

/**
 * ReportPanel downloads the 90-day report (LI-60) with a progress bar fed
 * by the ReportProgress of each streamed message.
 */
export function ReportPanel({ clusterId, clusterName }: { clusterId: string; clusterName: string }) {
  // The binary encoding: the chunks travel as bytes rather than base64, and
  // the ReportProgress in each message's extensions (a google.protobuf.Any)
  // is unpacked without the JSON type registry the shared transport lacks.
  const transport = useMemo(() => createSwitchboardTransport({ baseUrl: apiBaseUrl(), binary: true }), []);
  const [progress, setProgress] = useState<ReportProgressState | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useFlash(10_000);
  const abort = useRef<AbortController | null>(null);
  useEffect(() => () => abort.current?.abort(), []);

  async function download() {
    abort.current?.abort();
    const ctl = new AbortController();
    abort.current = ctl;
    setBusy(true);
    setError(null);
    setDone(null);
    setProgress({ written: 0, total: 0, file: "" });
    try {
      let rows = 0;
      const blob = await fetchReport(
        transport,
        clusterId,
        (p) => {
          rows = p.written;
          setProgress(p);
        },
        ctl.signal,
      );
      saveBlob(blob, reportFileName);
      setDone(tl.downloaded(formatSize(blob.size), rows));
    } catch (err) {
      if (!ctl.signal.aborted) {
        setError(tl.downloadFailed(displayError(err)));
      }
    } finally {
      if (abort.current === ctl) {
        setBusy(false);
        setProgress(null);
      }
    }
  }

  const scope = clusterId ? tl.reportScopeCluster(clusterName) : tl.reportScopeDeployment;
  const pct = progress && progress.total > 0 ? Math.min(100, (progress.written / progress.total) * 100) : undefined;
  return (
    <Panel
      id="report"
      title={tl.report}
      description={tl.reportHelp(scope)}
      actions={
        <Button className="button" onPress={() => void download()} isPending={busy}>
          {tl.download}
        </Button>
      }
    >
      {progress && (
        <ProgressBar className="progress" value={pct ?? 0} isIndeterminate={pct === undefined} aria-label={tl.downloading}>
          {({ percentage }) => (
            <>
              <div className="progress-head">
                <span>
                  {tl.downloading}
                  {progress.file && ` · ${progress.file}`}
                </span>
                <span className="muted">{progress.total > 0 ? tl.downloadProgress(progress.written, progress.total) : ""}</span>
              </div>
              <div className="progress-track">
                <div className="progress-fill" style={{ width: `${percentage ?? 0}%` }} />
              </div>
            </>
          )}
        </ProgressBar>
      )}
      {error && (
        <p className="banner banner-error" role="alert">
          {error}
        </p>
      )}
      <StatusMessage message={done} />
    </Panel>
  );
}

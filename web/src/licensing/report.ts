// The 90-day report download (LI-60 … LI-68): DownloadReport streams
// google.api.HttpBody messages, each a chunk of license-data.zip with a
// ReportProgress in its extensions. The chunks become one Blob, saved
// under the file name the specification gives.

import { anyIs, anyUnpack } from "@bufbuild/protobuf/wkt";
import { createClient, type Transport } from "@connectrpc/connect";
import { LicensingService, ReportProgressSchema } from "@switchboard/client";

/** The name the report is saved as (LI-60). */
export const reportFileName = "license-data.zip";

/** Progress of a report: rows written over the three files, of rows_total. */
export interface ReportProgressState {
  written: number;
  total: number;
  file: string;
}

/**
 * fetchReport reads the whole report stream and returns it as a Blob,
 * reporting progress as each message arrives. The transport should use
 * the binary encoding: in JSON an Any needs its type in the transport's
 * registry to be read at all.
 */
export async function fetchReport(
  transport: Transport,
  clusterId: string,
  onProgress: (p: ReportProgressState) => void,
  signal?: AbortSignal,
): Promise<Blob> {
  const client = createClient(LicensingService, transport);
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  let type = "application/zip";
  for await (const msg of client.downloadReport({ clusterId }, { signal })) {
    if (msg.contentType) {
      type = msg.contentType;
    }
    if (msg.data.length > 0) {
      // A copy on a plain ArrayBuffer, as Blob wants.
      chunks.push(new Uint8Array(msg.data));
    }
    for (const ext of msg.extensions) {
      if (anyIs(ext, ReportProgressSchema)) {
        const p = anyUnpack(ext, ReportProgressSchema);
        if (p) {
          onProgress({ written: Number(p.rowsWritten), total: Number(p.rowsTotal), file: p.file });
        }
      }
    }
  }
  return new Blob(chunks, { type });
}

/** saveBlob hands a Blob to the browser as a download. */
export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.style.display = "none";
  document.body.append(a);
  a.click();
  a.remove();
  // Give the download a moment to start before the URL goes.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

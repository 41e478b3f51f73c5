/** Called as a request body is sent: bytes sent so far, and the total. */
export type UploadProgressListener = (loaded: number, total: number) => void;

/**
 * uploadProgressFetch returns a fetch function that sends requests with
 * XMLHttpRequest and reports the upload progress of their bodies. Browsers'
 * fetch cannot report upload progress (streamed request bodies need HTTP/2),
 * so a transport built with this function (see
 * {@link SwitchboardTransportOptions.fetch}) lets a console show a progress
 * bar for large unary uploads such as the passphrase dictionary.
 *
 * It supports what Connect's unary calls use: a method, headers, a body that
 * XMLHttpRequest can send (bytes, a Blob or a string), credentials and an
 * abort signal. A network failure rejects with a TypeError, as fetch does.
 */
export function uploadProgressFetch(onProgress: UploadProgressListener): typeof globalThis.fetch {
  return (input, init) =>
    new Promise<Response>((resolve, reject) => {
      const body = init?.body ?? null;
      if (body instanceof ReadableStream) {
        reject(new TypeError("uploadProgressFetch cannot send a streamed body"));
        return;
      }
      const signal = init?.signal;
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const xhr = new XMLHttpRequest();
      const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
      xhr.open(init?.method ?? "GET", url);
      xhr.responseType = "arraybuffer";
      xhr.withCredentials = init?.credentials === "include";
      new Headers(init?.headers).forEach((value, name) => xhr.setRequestHeader(name, value));
      const size = bodySize(body);
      xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : size);
      const onAbort = () => xhr.abort();
      signal?.addEventListener("abort", onAbort, { once: true });
      xhr.onload = () => {
        signal?.removeEventListener("abort", onAbort);
        onProgress(size, size);
        const status = xhr.status;
        const nullBody = status === 204 || status === 205 || status === 304;
        resolve(
          new Response(nullBody ? null : (xhr.response as ArrayBuffer), {
            status,
            statusText: xhr.statusText,
            headers: parseHeaders(xhr.getAllResponseHeaders()),
          }),
        );
      };
      xhr.onerror = () => {
        signal?.removeEventListener("abort", onAbort);
        reject(new TypeError("network error"));
      };
      xhr.onabort = () => {
        signal?.removeEventListener("abort", onAbort);
        reject(signal?.reason ?? new DOMException("The upload was aborted.", "AbortError"));
      };
      xhr.send(body as XMLHttpRequestBodyInit | null);
    });
}

function bodySize(body: BodyInit | null): number {
  if (body === null) {
    return 0;
  }
  if (typeof body === "string") {
    return new TextEncoder().encode(body).byteLength;
  }
  if (body instanceof Blob) {
    return body.size;
  }
  if (body instanceof ArrayBuffer || ArrayBuffer.isView(body)) {
    return body.byteLength;
  }
  return 0;
}

function parseHeaders(raw: string): Headers {
  const headers = new Headers();
  for (const line of raw.trim().split(/[\r\n]+/)) {
    const colon = line.indexOf(":");
    if (colon > 0) {
      headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
    }
  }
  return headers;
}

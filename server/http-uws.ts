/** Serves HttpHandler routes on a uWebSockets.js app (beside Socket.IO's own `/socket.io/` routes). */
import { STATUS_CODES } from "node:http";
import type { HttpResponse as UwsResponse, TemplatedApp } from "uWebSockets.js";
import { errorResponse, isStreamBody, type HttpHandler, type HttpRequest, type HttpResponse } from "./http-types.js";

export function mountOnUws(app: TemplatedApp, handler: HttpHandler, maxBodyBytes: number, onError: (err: unknown) => void): void {
  app.any("/*", (res, req) => {
    const state: StreamState = { aborted: false, wake: null };
    res.onAborted(() => {
      state.aborted = true;
      state.wake?.();
    });
    const headers: Record<string, string> = {};
    req.forEach((k, v) => {
      headers[k] = v;
    });
    const request: Omit<HttpRequest, "body"> = {
      method: req.getMethod().toUpperCase(),
      path: req.getUrl(),
      query: new URLSearchParams(req.getQuery() ?? ""),
      headers,
      ip: Buffer.from(res.getRemoteAddressAsText()).toString(),
    };
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    res.onData((chunk, isLast) => {
      if (!tooLarge) {
        size += chunk.byteLength;
        if (size > maxBodyBytes) tooLarge = true;
        // uWS reuses the chunk's memory after this callback returns: copy it.
        else chunks.push(Buffer.from(new Uint8Array(chunk).slice()));
      }
      if (!isLast) return;
      const done = tooLarge
        ? Promise.resolve<HttpResponse>(errorResponse("E_PAYLOAD_TOO_LARGE", `The request body is larger than ${maxBodyBytes} bytes.`))
        : handler({ ...request, body: Buffer.concat(chunks) });
      done
        .then(async (out) => {
          if (isStreamBody(out.body)) await sendStream(res, out, out.body.stream, state, onError);
          else if (!state.aborted) send(res, out);
        })
        .catch((err: unknown) => {
          onError(err);
          if (!state.aborted) send(res, errorResponse("E_INTERNAL"));
        });
    });
  });
}

interface StreamState {
  aborted: boolean;
  /** Wakes a stream waiting for `onWritable` (the client went away). */
  wake: (() => void) | null;
}

function send(res: UwsResponse, out: HttpResponse): void {
  if (isStreamBody(out.body)) throw new Error("a streamed body goes through sendStream");
  const body = out.body;
  res.cork(() => {
    res.writeStatus(`${out.status} ${STATUS_CODES[out.status] ?? ""}`);
    for (const [k, v] of Object.entries(out.headers ?? {})) res.writeHeader(k, v);
    res.end(body);
  });
}

/**
 * Writes a StreamBody with back-pressure (chunked transfer encoding): when `write` reports that uWS
 * had to buffer, the next chunk is asked for only after `onWritable`.
 */
async function sendStream(res: UwsResponse, out: HttpResponse, stream: AsyncIterable<string | Buffer>, state: StreamState, onError: (err: unknown) => void): Promise<void> {
  const chunks = stream[Symbol.asyncIterator]();
  let finished = false;
  try {
    if (state.aborted) return;
    res.cork(() => {
      res.writeStatus(`${out.status} ${STATUS_CODES[out.status] ?? ""}`);
      for (const [k, v] of Object.entries(out.headers ?? {})) res.writeHeader(k, v);
    });
    while (!state.aborted) {
      const next = await chunks.next();
      if (state.aborted) return;
      if (next.done) {
        finished = true;
        res.cork(() => res.end());
        return;
      }
      let ok = true;
      res.cork(() => {
        ok = res.write(next.value);
      });
      if (!ok && !state.aborted) {
        await new Promise<void>((resolve) => {
          state.wake = resolve;
          res.onWritable(() => {
            resolve();
            return true;
          });
        });
        state.wake = null;
      }
    }
  } catch (err) {
    finished = true;
    onError(err);
    if (!state.aborted) res.close(); // no final chunk: the client sees a cut body
  } finally {
    if (!finished) await chunks.return?.();
  }
}

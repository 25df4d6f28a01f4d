/** Serves HttpHandler routes on a uWebSockets.js app (beside Socket.IO's own `/socket.io/` routes). */
import { STATUS_CODES } from "node:http";
import type { HttpResponse as UwsResponse, TemplatedApp } from "uWebSockets.js";
import { errorResponse, type HttpHandler, type HttpRequest, type HttpResponse } from "./http-types.js";

export function mountOnUws(app: TemplatedApp, handler: HttpHandler, maxBodyBytes: number, onError: (err: unknown) => void): void {
  app.any("/*", (res, req) => {
    let aborted = false;
    res.onAborted(() => {
      aborted = true;
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
        .then((out) => {
          if (!aborted) send(res, out);
        })
        .catch((err: unknown) => {
          onError(err);
          if (!aborted) send(res, errorResponse("E_INTERNAL"));
        });
    });
  });
}

function send(res: UwsResponse, out: HttpResponse): void {
  res.cork(() => {
    res.writeStatus(`${out.status} ${STATUS_CODES[out.status] ?? ""}`);
    for (const [k, v] of Object.entries(out.headers ?? {})) res.writeHeader(k, v);
    res.end(out.body);
  });
}

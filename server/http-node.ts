/** Serves HttpHandler routes on node:http, for the `ws` engine fallback. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { errorResponse, type HttpHandler, type HttpResponse } from "./http-types.js";

export function createNodeHttpServer(handler: HttpHandler, maxBodyBytes: number, onError: (err: unknown) => void): Server {
  return createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBodyBytes) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://localhost");
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers[k] = v;
      const done: Promise<HttpResponse> = tooLarge
        ? Promise.resolve(errorResponse("E_PAYLOAD_TOO_LARGE", `The request body is larger than ${maxBodyBytes} bytes.`))
        : handler({ method: (req.method ?? "GET").toUpperCase(), path: url.pathname, query: url.searchParams, headers, ip: req.socket.remoteAddress ?? "", body: Buffer.concat(chunks) });
      done
        .then((out) => {
          res.writeHead(out.status, out.headers ?? {});
          res.end(out.body);
        })
        .catch((err: unknown) => {
          onError(err);
          const out = errorResponse("E_INTERNAL");
          res.writeHead(out.status, out.headers);
          res.end(out.body);
        });
    });
  });
}

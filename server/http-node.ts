/** Serves HttpHandler routes on node:http, for the `ws` engine fallback. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { errorResponse, isStreamBody, type HttpHandler, type HttpResponse } from "./http-types.js";

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
        .then(async (out) => {
          res.writeHead(out.status, out.headers ?? {});
          if (isStreamBody(out.body)) await writeStream(res, out.body.stream, onError);
          else res.end(out.body);
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

/** Resolves once `res` can take more (`drain`) or is gone (`close`). */
function writable(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}

/** Writes a StreamBody with back-pressure: the next chunk is asked for only once the socket took the last. */
async function writeStream(res: ServerResponse, stream: AsyncIterable<string | Buffer>, onError: (err: unknown) => void): Promise<void> {
  const chunks = stream[Symbol.asyncIterator]();
  let finished = false;
  try {
    while (!res.destroyed) {
      const next = await chunks.next();
      if (next.done) {
        finished = true;
        res.end();
        return;
      }
      if (!res.write(next.value)) await writable(res);
    }
  } catch (err) {
    finished = true; // the iterator ended by throwing
    onError(err);
    res.destroy(); // no final chunk: the client sees a cut body
  } finally {
    if (!finished) await chunks.return?.();
  }
}

import { pino, type Logger } from "pino";

export type { Logger };

const REDACTED = "[redacted]";
/** Shortest command argument scrubbed out of an error's message and stack (shorter ones garble text). */
const MIN_SCRUBBED_ARG = 3;

/**
 * The texts of every Redis command argument an error carries: ioredis puts the failed command on a
 * reply error (`err.command = { name, args }`), and a failed pipeline's or transaction's errors in
 * `previousErrors`; causes are searched too.
 */
function commandArgs(err: unknown, out: Set<string>, depth = 0): Set<string> {
  if (typeof err !== "object" || err === null || depth > 5) return out;
  const e = err as { command?: { args?: unknown }; args?: unknown; previousErrors?: unknown; cause?: unknown };
  for (const args of [e.command?.args, e.args]) {
    if (!Array.isArray(args)) continue;
    for (const a of args) {
      const text = Buffer.isBuffer(a) ? (a.length <= 1024 ? a.toString() : "") : typeof a === "string" || typeof a === "number" ? String(a) : "";
      if (text.length >= MIN_SCRUBBED_ARG) out.add(text);
    }
  }
  if (Array.isArray(e.previousErrors)) for (const p of e.previousErrors) commandArgs(p, out, depth + 1);
  commandArgs(e.cause, out, depth + 1);
  return out;
}

function scrubText(text: string, args: Set<string>): string {
  let out = text;
  // Longest first, so an argument that contains another is replaced whole.
  for (const a of [...args].sort((x, y) => y.length - x.length)) out = out.split(a).join(REDACTED);
  return out;
}

/** Drops command arguments from a serialized error and its nested errors; keeps the command's name. */
function scrubObject(value: unknown, args: Set<string>, depth = 0): unknown {
  if (typeof value === "string") return scrubText(value, args);
  if (typeof value !== "object" || value === null || depth > 6) return value;
  if (Array.isArray(value)) return value.map((v) => scrubObject(v, args, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === "args") continue;
    if (k === "previousErrors") {
      out.previousErrors = Array.isArray(v) ? v.length : REDACTED;
      continue;
    }
    if (k === "command" && typeof v === "object" && v !== null) {
      const name = (v as { name?: unknown }).name;
      out.command = typeof name === "string" ? { name } : REDACTED;
      continue;
    }
    out[k] = scrubObject(v, args, depth + 1);
  }
  return out;
}

/**
 * pino's `err` serializer, minus Redis command arguments: they hold player ids (often phone
 * numbers), idempotency keys and payloads. The command name stays, the arguments go, and any
 * argument text is replaced in the message and stack (a Lua error may quote one).
 */
export function serializeErr(err: unknown): unknown {
  if (typeof err !== "object" || err === null) return err;
  const args = commandArgs(err, new Set());
  const base = err instanceof Error ? pino.stdSerializers.err(err) : err;
  return scrubObject(base, args);
}

/** The process logger: JSON lines on stdout, with the role and node id on every line. */
export function createLogger(role: string, nodeId: string, level: string, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { role, node: nodeId },
    timestamp: pino.stdTimeFunctions.isoTime,
    serializers: { err: serializeErr },
    redact: { paths: ["token", "*.token", "authorization", "*.authorization", "jwtSecret"], censor: "[redacted]" },
  };
  return destination ? pino(options, destination) : pino(options);
}

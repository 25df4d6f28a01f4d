import { pino, type Logger } from "pino";

export type { Logger };

/** The process logger: JSON lines on stdout, with the role and node id on every line. */
export function createLogger(role: string, nodeId: string, level: string): Logger {
  return pino({
    level,
    base: { role, node: nodeId },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ["token", "*.token", "authorization", "*.authorization", "jwtSecret"], censor: "[redacted]" },
  });
}

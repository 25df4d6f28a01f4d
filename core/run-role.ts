/**
 * Shared start-up and shutdown of a role process (socket node or worker): load and validate the
 * configuration (a bad value exits 2 with a message naming it), start, and drain gracefully on
 * SIGTERM/SIGINT, exiting anyway after shutdownGraceMs plus a margin.
 */
import { ConfigError, loadConfig, type Config } from "../config/options.js";
import { startCpuProfile } from "./cpu-profile.js";
import { createLogger, type Logger } from "./logger.js";

export interface Stoppable {
  close(): Promise<void>;
}

export function runRole(role: "server" | "worker", start: (config: Config, log: Logger) => Promise<Stoppable>): void {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    process.stderr.write(`${err instanceof ConfigError ? err.message : String(err)}\n`);
    process.exit(2);
  }
  const log = createLogger(role, config.nodeId, config.logLevel);
  const profiling = startCpuProfile(role);
  Promise.all([start(config, log), profiling]).then(
    ([running, stopProfile]) => {
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        log.info({ signal }, "shutting down");
        setTimeout(() => {
          log.error("graceful shutdown took too long; exiting");
          process.exit(1);
        }, config.shutdownGraceMs + 5000).unref();
        running
          .close()
          .then(() => stopProfile?.())
          .then(
          () => process.exit(0),
          (err: unknown) => {
            log.error({ err }, "shutdown failed");
            process.exit(1);
          },
        );
      };
      process.on("SIGTERM", () => stop("SIGTERM"));
      process.on("SIGINT", () => stop("SIGINT"));
    },
    (err: unknown) => {
      log.fatal({ err }, `${role} failed to start: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}

/**
 * Shared start-up and shutdown of a role process (socket node or worker): load and validate the
 * configuration (a bad value exits 2 with a message naming it), start, and drain gracefully on
 * SIGTERM/SIGINT, exiting anyway after shutdownGraceMs plus a margin. A Redis whose settings would
 * lose data (core/redis.ts checkRedisServer) also exits 2.
 *
 * A promise rejection nobody handled is logged (error level) and the process keeps running: every
 * known source (Redis clients, the adapter's and emitter's publishes, BullMQ's events, timers) has
 * its own handler, and this is the last resort that keeps a missed one from ending every node at
 * once when Redis goes away.
 */
import { ConfigError, loadConfig, type Config } from "../config/options.js";
import { startCpuProfile } from "./cpu-profile.js";
import { createLogger, type Logger } from "./logger.js";
import { RedisSettingsError } from "./redis.js";

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
  process.on("unhandledRejection", (reason: unknown) => {
    log.error({ err: reason }, "unhandled promise rejection (kept running)");
  });
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
      if (err instanceof RedisSettingsError) {
        process.stderr.write(`${err.message}\n`);
        process.exit(2);
      }
      process.exit(1);
    },
  );
}

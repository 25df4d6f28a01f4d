import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";

/**
 * Opt-in CPU profiling for diagnosing a role under load: with LIVEDRAW_CPU_PROFILE=<dir>, the process
 * profiles itself from start to shutdown and writes <dir>/<role>-<pid>.cpuprofile (open it in Chrome
 * DevTools). Off by default: profiling costs CPU.
 */
export async function startCpuProfile(role: string): Promise<(() => Promise<void>) | null> {
  const dir = process.env.LIVEDRAW_CPU_PROFILE;
  if (!dir) return null;
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.start");
  return async () => {
    const { profile } = await session.post("Profiler.stop");
    writeFileSync(`${dir}/${role}-${process.pid}.cpuprofile`, JSON.stringify(profile));
    session.disconnect();
  };
}

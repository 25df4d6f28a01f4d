/** BullMQ jobs exchanged between socket nodes (producers) and workers (consumers). */
export const JOB_CLOSE_DRAW = "draw.close";
export const JOB_RESOLVE_SPINS = "spins.resolve";
export const JOB_SWEEP_SPINS = "spins.sweep";

export interface CloseDrawJob {
  kind?: "close";
  campaignId: string;
  drawId: string;
}

export interface ResolveSpinsJob {
  kind: "resolve";
  campaignId: string;
}

export interface SweepSpinsJob {
  kind: "sweep";
}

export type WorkerJob = CloseDrawJob | ResolveSpinsJob | SweepSpinsJob;

/** One close job per draw; a second add with the same id is a no-op. BullMQ ids may not contain ':'. */
export function closeJobId(campaignId: string, drawId: string): string {
  return `close.${campaignId}.${drawId}`;
}


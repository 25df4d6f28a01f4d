/** Log lines (`[bench:<name> hh:mm:ss] …`) and number formatting shared by the benchmarks. */

let tag = "bench";

/** Sets the `[tag …]` prefix of every log line of this process (e.g. "bench:spin"). */
export function setLogTag(name: string): void {
  tag = name;
}

export const t = (): string => new Date().toISOString().slice(11, 19);
export const say = (msg: string): void => console.log(`[${tag} ${t()}] ${msg}`);
export const sayError = (msg: string): void => console.error(`[${tag} ${t()}] ${msg}`);
export const fmt = (n: number, d = 0): string => n.toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: d });
export const round = (n: number, d = 2): number => Math.round(n * 10 ** d) / 10 ** d;

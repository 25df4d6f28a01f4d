/**
 * Finds out which socket engine this process can use. The uWebSockets.js package we depend on
 * silently swaps in a slow JavaScript imitation when its native binary does not load (it only prints
 * a warning); the imitation has no `SSLApp`, which is how we tell them apart. With the imitation we
 * use Socket.IO's own `ws` engine on node:http instead.
 */
import { createRequire } from "node:module";
import type * as UWS from "uWebSockets.js";

export type UwsModule = typeof UWS;
export type TransportChoice = "auto" | "uws" | "ws";

export type EngineSelection =
  | { engine: "uws"; uws: UwsModule; reason: string }
  | { engine: "ws"; uws: null; reason: string };

const require = createRequire(import.meta.url);

export function loadUws(): { module: UwsModule | null; native: boolean; error: string | null } {
  try {
    const mod = require("uWebSockets.js") as UwsModule;
    const native = typeof (mod as { SSLApp?: unknown }).SSLApp === "function";
    return { module: mod, native, error: native ? null : "the package loaded its JavaScript imitation (no native binary for this platform)" };
  } catch (err) {
    return { module: null, native: false, error: err instanceof Error ? err.message : String(err) };
  }
}

export function selectEngine(choice: TransportChoice): EngineSelection {
  if (choice === "ws") return { engine: "ws", uws: null, reason: "LIVEDRAW_TRANSPORT=ws" };
  const loaded = loadUws();
  if (loaded.native && loaded.module) return { engine: "uws", uws: loaded.module, reason: "native uWebSockets.js loaded" };
  if (choice === "uws") {
    throw new Error(`LIVEDRAW_TRANSPORT=uws but native uWebSockets.js is unavailable: ${loaded.error ?? "unknown"}`);
  }
  return { engine: "ws", uws: null, reason: `native uWebSockets.js unavailable (${loaded.error ?? "unknown"}); using Socket.IO's ws engine` };
}

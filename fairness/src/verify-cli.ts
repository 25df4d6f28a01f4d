#!/usr/bin/env node
/**
 * `livedraw-verify bundle.json [--chain-info chain.json] [--entry <entryId>]`: verifies a live draw's
 * published proof bundle. The logic lives in cli.ts; this file is only the process shell.
 */
import { readFileSync } from "node:fs";
import { runVerifyCli } from "./cli.js";

process.exitCode = runVerifyCli(process.argv.slice(2), {
  readFile: (path) => readFileSync(path, "utf8"),
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
});

/**
 * Prints the scrypt hash of a host's console password, for LIVEDRAW_HOSTS (`hostId:hash,…`):
 *
 *   npm run host:hash                      # asks for the password (not echoed)
 *   printf %s "$PASSWORD" | npm run host:hash --silent
 *   node dist/scripts/host-hash.js <password>   # lands in your shell history: avoid
 *
 * The hash goes to stdout alone (one line); hints go to stderr.
 */
import { hashPassword } from "../server/host-accounts.js";

/** Reads one line from a terminal without echoing it. */
function promptHidden(prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stderr.write(prompt);
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding("utf8");
    let value = "";
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === "\r" || ch === "\n") {
          stdin.setRawMode(false);
          stdin.pause();
          stdin.off("data", onData);
          process.stderr.write("\n");
          resolve(value);
          return;
        }
        if (ch === "\u0003") {
          stdin.setRawMode(false);
          reject(new Error("cancelled"));
          return;
        }
        if (ch === "\u007f" || ch === "\b") value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.on("data", onData);
  });
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  // One trailing newline (from `echo`) is not part of the password.
  return Buffer.concat(chunks).toString("utf8").replace(/\r?\n$/, "");
}

async function main(): Promise<void> {
  const arg = process.argv[2];
  if (arg === "--help" || arg === "-h") {
    process.stderr.write("usage: host-hash [password]   (without one: asks, or reads stdin)\n");
    return;
  }
  let password: string;
  if (arg !== undefined) password = arg;
  else if (process.stdin.isTTY) {
    password = await promptHidden("Host password: ");
    if ((await promptHidden("Again: ")) !== password) throw new Error("the two passwords differ");
  } else password = await readStdin();
  if (password.length === 0) throw new Error("the password is empty");
  if (password.length < 12) process.stderr.write("warning: a password of fewer than 12 characters is easy to guess\n");
  process.stdout.write(`${await hashPassword(password)}\n`);
  process.stderr.write("Add it to LIVEDRAW_HOSTS as <hostId>:<hash> (entries separated by commas).\n");
}

main().catch((err: unknown) => {
  process.stderr.write(`host-hash: ${(err as Error).message}\n`);
  process.exit(2);
});

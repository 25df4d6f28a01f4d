import { z } from "zod";
import { AppError } from "./errors.js";
import { SCRIPT_ERRORS } from "./script-codes.js";

const arrayReply = z.array(z.union([z.number(), z.string(), z.null()]));

/**
 * Reads a Lua reply of the form `code` or `{code, ...rest}`: a negative code mapped in SCRIPT_ERRORS
 * throws that AppError, any other negative code is a bug; otherwise returns the code and the rest.
 */
export function scriptReply(raw: unknown): { code: number; rest: (number | string | null)[] } {
  const r = typeof raw === "number" ? [raw] : arrayReply.parse(raw);
  const code = Number(r[0]);
  const mapped = SCRIPT_ERRORS[code];
  if (mapped) throw new AppError(mapped);
  if (code < 0) throw new Error(`unexpected status ${code} from a Lua script`);
  return { code, rest: r.slice(1) };
}

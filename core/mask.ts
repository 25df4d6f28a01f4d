import { createHash } from "node:crypto";

/**
 * Masks personal data for display and broadcast: `13812341234` → `138****1234`, `张三` → `张*`,
 * `alice@example.com` → `a****@example.com`, `Alice` → `A****`. Works on code points, so CJK and
 * emoji are never split.
 */
export function maskName(raw: string): string {
  const value = raw.trim();
  if (value.length === 0) return "*";
  const digits = value.replace(/[\s-]/g, "");
  if (/^\+?\d{7,15}$/.test(digits)) {
    // Mainland numbers written with their country code (+86 138…) mask like the local form.
    const d = digits.replace(/^\+/, "").replace(/^86(1\d{10})$/, "$1");
    return `${d.slice(0, 3)}${"*".repeat(Math.max(1, d.length - 7))}${d.slice(-4)}`;
  }
  const at = value.indexOf("@");
  if (at > 0) {
    const local = Array.from(value.slice(0, at));
    return `${local[0]}${"*".repeat(Math.max(1, local.length - 1))}${value.slice(at)}`;
  }
  const chars = Array.from(value);
  return `${chars[0]}${"*".repeat(Math.max(1, chars.length - 1))}`;
}

/**
 * A stable pseudonym for logs: the first 12 hex digits of SHA-256 of the id. Player ids are often
 * phone numbers or WeChat openids; logs carry this instead, and support can still follow one player.
 */
/** A prize code (coupon, redemption code) as hosts see it: all but the last `keep` characters as `*`. */
export const maskCode = (code: string | null | undefined, keep = 2): string => (code ? `${"*".repeat(Math.max(4, code.length - keep))}${code.slice(-keep)}` : "");

export function logId(id: string): string {
  return createHash("sha256").update(id).digest("hex").slice(0, 12);
}

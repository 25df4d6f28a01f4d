/**
 * Canonical JSON (docs/fairness.md, "Canonical JSON"): RFC 8785 (JCS) for the values we allow —
 * object keys sorted by UTF-16 code units, no whitespace, strings and numbers serialised exactly as
 * ECMAScript `JSON.stringify` does. Non-finite numbers, lone surrogates, `undefined`, bigint and
 * non-plain objects are refused rather than silently changed.
 */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function canonicalJson(value: unknown): string {
  return encode(value, "$");
}

function encode(value: unknown, path: string): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    case "number":
      if (!Number.isFinite(value)) throw new TypeError(`${path}: non-finite number`);
      return JSON.stringify(value);
    case "string":
      if (LONE_SURROGATE.test(value)) throw new TypeError(`${path}: string with a lone surrogate`);
      return JSON.stringify(value);
    case "object": {
      if (Array.isArray(value)) return `[${value.map((v, i) => encode(v, `${path}[${i}]`)).join(",")}]`;
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto !== Object.prototype && proto !== null) throw new TypeError(`${path}: not a plain object`);
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record).sort();
      const parts: string[] = [];
      for (const key of keys) {
        if (LONE_SURROGATE.test(key)) throw new TypeError(`${path}: key with a lone surrogate`);
        parts.push(`${JSON.stringify(key)}:${encode(record[key], `${path}.${key}`)}`);
      }
      return `{${parts.join(",")}}`;
    }
    default:
      throw new TypeError(`${path}: ${typeof value} is not JSON`);
  }
}

/** True if `value` is made only of JSON values canonicalJson accepts. */
export function isJsonValue(value: unknown): value is JsonValue {
  try {
    canonicalJson(value);
    return true;
  } catch {
    return false;
  }
}

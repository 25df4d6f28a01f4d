/** Phone numbers to E.164 (server/login.ts canonicalPhone): one handset, one account. */
import { describe, expect, it } from "vitest";
import { AppError } from "../core/errors.js";
import { canonicalPhone } from "./login.js";

describe("canonicalPhone", () => {
  it("gives every way of typing one mainland handset the same E.164 number", () => {
    const forms = ["+86 139 0013 9000", "+8613900139000", "+0086139 0013 9000", "+0086-139-0013-9000", "+086 13900139000", "+86 0 139 0013 9000", "0086 13900139000", "8613900139000", "86 139 0013 9000", "13900139000", "139-0013-9000", "(139) 0013 9000"];
    for (const form of forms) expect(canonicalPhone(form), form).toBe("+8613900139000");
  });

  it("keeps other countries' numbers with their country code", () => {
    expect(canonicalPhone("+44 7400 123456")).toBe("+447400123456");
    expect(canonicalPhone("+1 202 555 0123")).toBe("+12025550123");
  });

  it("refuses what is not a valid number with E_INVALID_PHONE, the number masked", () => {
    for (const bad of ["12345", "+86 139 0013", "+8699900139000", "+447700900123", "phone 139", "+", "00000000000", "+0"]) {
      let err: unknown;
      try {
        canonicalPhone(bad);
      } catch (e) {
        err = e;
      }
      expect(err, bad).toBeInstanceOf(AppError);
      expect((err as AppError).code, bad).toBe("E_INVALID_PHONE");
    }
    expect(() => canonicalPhone("13900139")).toThrow(/not a valid phone number/);
  });
});

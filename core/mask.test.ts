import { describe, expect, it } from "vitest";
import { logId, maskName } from "./mask.js";

describe("maskName", () => {
  it.each([
    ["13812341234", "138****1234"],
    ["+86 138-1234-1234", "138****1234"],
    ["+44 20 7946 0958", "442*****0958"],
    ["张三", "张*"],
    ["欧阳娜娜", "欧***"],
    ["Alice", "A****"],
    ["alice@example.com", "a****@example.com"],
    ["X", "X*"],
    ["  ", "*"],
    ["🎉party", "🎉*****"],
  ])("%s → %s", (raw, masked) => {
    expect(maskName(raw)).toBe(masked);
  });

  it("gives logs a stable pseudonym instead of the id", () => {
    expect(logId("13812341234")).toMatch(/^[0-9a-f]{12}$/);
    expect(logId("13812341234")).toBe(logId("13812341234"));
    expect(logId("13812341234")).not.toContain("1381234");
  });

  it("never returns the raw value", () => {
    for (const raw of ["13812341234", "张三", "Bob", "a@b.c"]) expect(maskName(raw)).not.toBe(raw);
  });
});

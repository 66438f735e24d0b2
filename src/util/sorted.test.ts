import { describe, expect, it } from "vitest";
import { byText, sortedRecord } from "./sorted.js";

describe("byText", () => {
  it("orders by code unit, where locales disagree", () => {
    // ICU puts "A_B" before "AB" and "a" before "B"; Danish puts "aa" after "z".
    expect(["z", "aa", "a", "B", "A_B", "AB"].sort(byText)).toEqual(["AB", "A_B", "B", "a", "aa", "z"]);
    expect(["AB", "A_B"].sort((a, b) => a.localeCompare(b, "en"))).toEqual(["A_B", "AB"]);
  });

  it("is zero only for equal text", () => {
    expect(byText("web", "web")).toBe(0);
    expect(byText("web", "web-1")).toBeLessThan(0);
    expect(byText("web-1", "web")).toBeGreaterThan(0);
  });
});

describe("sortedRecord", () => {
  it("keeps every entry, keys in code-unit order", () => {
    expect(Object.entries(sortedRecord({ b: 1, B: 2, a_: 3, a: 4 }))).toEqual([
      ["B", 2],
      ["a", 4],
      ["a_", 3],
      ["b", 1],
    ]);
  });
});

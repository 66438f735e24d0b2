import { describe, expect, it } from "vitest";
import { decide } from "./gate.js";

const base = {
  changes: true,
  destructive: false,
  interactive: false,
  autoApprove: false,
  allowDestructive: false,
};

describe("approval gate", () => {
  it("has nothing to decide without changes", () => {
    expect(decide({ ...base, changes: false })).toEqual({ kind: "nothing-to-do" });
  });

  it("refuses a non-interactive run without --auto-approve, naming the flag", () => {
    expect(decide(base)).toMatchObject({ kind: "refuse", flag: "--auto-approve" });
    expect(decide({ ...base, autoApprove: true })).toEqual({ kind: "proceed" });
  });

  it("asks at a terminal unless --auto-approve", () => {
    expect(decide({ ...base, interactive: true })).toEqual({ kind: "prompt", destructive: false });
    expect(decide({ ...base, interactive: true, autoApprove: true })).toEqual({ kind: "proceed" });
  });

  it("needs --allow-destructive for destructive changes without a terminal, even with --auto-approve", () => {
    const destructive = { ...base, destructive: true, autoApprove: true };
    expect(decide(destructive)).toMatchObject({ kind: "refuse", flag: "--allow-destructive" });
    expect(decide({ ...destructive, allowDestructive: true })).toEqual({ kind: "proceed" });
  });

  it("still confirms destructive changes at a terminal when only --auto-approve is given", () => {
    expect(decide({ ...base, destructive: true, interactive: true, autoApprove: true })).toEqual({
      kind: "prompt",
      destructive: true,
    });
    expect(
      decide({ ...base, destructive: true, interactive: true, autoApprove: true, allowDestructive: true }),
    ).toEqual({
      kind: "proceed",
    });
  });
});

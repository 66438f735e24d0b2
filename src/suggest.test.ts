import { describe, expect, it } from "vitest";
import { suggestion } from "./suggest.js";

describe("suggestion", () => {
  const formats = ["human", "markdown", "json"];
  it("finds what a word begins, abbreviates or nearly spells", () => {
    expect(suggestion("mark", formats)).toBe("markdown");
    expect(suggestion("md", formats)).toBe("markdown");
    expect(suggestion("jsn", formats)).toBe("json");
    expect(suggestion("pln", ["plan", "apply", "validate"])).toBe("plan");
    expect(suggestion("frmat", ["format", "out", "target"])).toBe("format");
    expect(suggestion("Containrs", ["containers", "domains"])).toBe("containers");
  });
  it("suggests nothing rather than a guess", () => {
    expect(suggestion("xyz", formats)).toBeUndefined();
    expect(suggestion("", formats)).toBeUndefined();
    expect(suggestion("plan", [])).toBeUndefined();
    // Begins two candidates: ambiguous, and too far from either to be a typo.
    expect(suggestion("se", ["secret list", "services"])).toBeUndefined();
  });
});

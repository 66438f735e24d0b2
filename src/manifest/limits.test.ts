import { describe, expect, it } from "vitest";
import { interpolate } from "./interpolate.js";
import { LIMITS, parseManifest } from "./source.js";

/** Hostile manifests: each is refused with one located error, quickly, never a crash. */
const parse = (text: string) => parseManifest(text, "service.yaml", "/repo/service.yaml", {});
const only = (text: string) => {
  const started = Date.now();
  const r = parse(text);
  // Bounded work: these would run for minutes, or overflow the stack, without the limits.
  expect(Date.now() - started).toBeLessThan(5_000);
  expect(r.value).toBeUndefined();
  expect(r.diagnostics.length).toBeGreaterThan(0);
  for (const d of r.diagnostics) expect(d.line).toBeGreaterThan(0);
  return r.diagnostics;
};

describe("loader limits", () => {
  it("stops an alias bomb: a few hundred bytes expanding to a million values", () => {
    const levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 7; i++)
      levels.push(
        `${"abcdefg"[i]}: &${"abcdefg"[i]} [${Array(10)
          .fill(`*${"abcdefg"[i - 1]}`)
          .join(", ")}]`,
      );
    const bomb = `${levels.join("\n")}\n`;
    expect(bomb.length).toBeLessThan(500);
    const [d] = only(bomb);
    expect(d?.message).toMatch(/expands to more than 100000 values|more than 1000 aliases/);
    expect(d?.hint).toContain("aliases");
  });

  it("stops an alias that refers to itself", () => {
    const [d] = only("a: &x [1, *x]\n");
    expect(d?.message).toBe("alias *x refers to itself");
    expect(d?.line).toBe(1);
  });

  it("stops deep nesting", () => {
    const deep = `${"[".repeat(LIMITS.depth + 10)}${"]".repeat(LIMITS.depth + 10)}\n`;
    expect(only(deep).some((d) => d.message.includes(`nested more than ${LIMITS.depth} levels deep`))).toBe(
      true,
    );
  });

  it("stops a map with more entries than any service needs", () => {
    const env = Array.from({ length: 5_000 }, (_, i) => `  V${i}: x`).join("\n");
    const [d] = only(`env:\n${env}\n`);
    expect(d?.message).toBe(`5000 entries; at most ${LIMITS.entries} are allowed here`);
    expect(d?.path).toBe("env");
  });

  it("refuses a file over the size limit", () => {
    const [d] = only(`# ${"x".repeat(LIMITS.fileBytes)}\n`);
    expect(d?.message).toContain("a manifest may have at most");
  });

  it("lists the first YAML errors and counts the rest", () => {
    const broken = Array.from({ length: 400 }, () => "a: [\n").join("");
    const diagnostics = only(broken);
    expect(diagnostics.length).toBeLessThanOrEqual(LIMITS.syntaxErrors + 1);
  });
});

describe("interpolation of untrusted manifests", () => {
  it("never reads svc's own credentials, whatever the default or operator", () => {
    const vars = {
      SVC_TOKEN_PROD: "tok-123",
      SVC_SECRET_DB: "pw",
      SVC_REGISTRY_GHCR_IO: "u:p",
      HOME: "/root",
    };
    for (const text of [
      "${SVC_TOKEN_PROD}",
      "$SVC_SECRET_DB",
      "${SVC_REGISTRY_GHCR_IO:-x}",
      "${X:-${SVC_TOKEN_PROD}}",
      "${svc_token_prod:+set}",
    ]) {
      const r = interpolate(text, vars);
      expect(r.ok, text).toBe(false);
      if (!r.ok) {
        expect(r.error.message).toContain("one of svc's own credentials");
        expect(JSON.stringify(r.error)).not.toMatch(/tok-123|pw"|u:p/);
      }
    }
    expect(interpolate("${HOME}", vars)).toEqual({ ok: true, value: "/root", substituted: true });
  });

  it("refuses nesting thousands deep without overflowing the stack", () => {
    const text = `${"${A:-".repeat(3000)}x${"}".repeat(3000)}`;
    const r = interpolate(text, {});
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.message).toContain("nested more than 16 levels deep");
      expect(r.error.message.length).toBeLessThan(200);
    }
  });
});

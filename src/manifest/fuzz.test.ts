import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { convertSource } from "../convert/convert.js";
import { loadServices } from "./load.js";

/**
 * Every pull request is untrusted input: mutated manifests must never crash, hang or lose track
 * of where a problem is. CI runs FUZZ_RUNS (default 2,000) cases; `npm run bench -- fuzz` 20,000.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 2_000);
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;
const repo = new URL("../..", import.meta.url).pathname;
const read = (f: string) => readFileSync(join(repo, f), "utf8");
const seeds = ["examples/shop/service.yaml", "examples/hello/service.yaml"].map(read);
/** `svc convert` reads files from other tools: as untrusted as a manifest. */
const convertSeeds = [
  "test/fixtures/convert/compose-app/docker-compose.yml",
  "test/fixtures/convert/compose-unsupported/docker-compose.yml",
  "test/fixtures/convert/vkube-web/VKubefile.yaml",
].map(read);

/** Fragments that have broken YAML loaders, interpolators and schema checks before. */
const hostile = fc.constantFrom(
  "&a ",
  "*a",
  "<<: *a",
  "${",
  "}",
  "${A:-${B:-${C}}}",
  "$$",
  "${SVC_TOKEN_PROD}",
  ": ",
  "- ",
  "[",
  "]",
  "{",
  "}",
  "\t",
  "\0",
  "'",
  '"',
  "#",
  "!!binary ",
  "!!js/function ",
  "? ",
  "|\n",
  ">-\n",
  "---\n",
  "...\n",
  "null",
  "~",
  "0x1F",
  "1e400",
  "-0",
  "9".repeat(400),
  "ä𝄞",
  "[".repeat(200),
  "{a: ".repeat(100),
  "x".repeat(5_000),
  "\n  ",
  "\n      - ",
);

const mutation = fc.oneof(
  // insert a hostile fragment somewhere
  fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), text: hostile }),
  // insert random text
  fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), text: fc.string({ maxLength: 20 }) }),
  // delete a range
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), length: fc.integer({ min: 1, max: 40 }) }),
  // repeat a line
  fc.record({ kind: fc.constant("repeat" as const), at: fc.nat(), times: fc.integer({ min: 1, max: 50 }) }),
);

type Step =
  | { kind: "insert"; at: number; text: string }
  | { kind: "delete"; at: number; length: number }
  | { kind: "repeat"; at: number; times: number };

function mutate(text: string, steps: Step[]): string {
  let out = text;
  for (const step of steps) {
    const at = out.length === 0 ? 0 : step.at % out.length;
    if (step.kind === "insert") out = out.slice(0, at) + step.text + out.slice(at);
    else if (step.kind === "delete") out = out.slice(0, at) + out.slice(at + step.length);
    else {
      const lines = out.split("\n");
      const i = step.at % lines.length;
      lines.splice(i, 0, ...Array(step.times).fill(lines[i] ?? ""));
      out = lines.join("\n");
    }
  }
  return out;
}

const dir = mkdtempSync(join(tmpdir(), "svc-fuzz-"));
writeFileSync(join(dir, "httpd.conf"), "A:*\n");

describe("fuzzed manifests", () => {
  it(`${RUNS} mutated manifests: no crash, no hang, every problem located`, () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...seeds),
        fc.array(mutation, { minLength: 1, maxLength: 8 }),
        (seed, steps) => {
          const text = mutate(seed, steps);
          const file = join(dir, "service.yaml");
          writeFileSync(file, text);
          const started = Date.now();
          const result = loadServices({ cwd: dir, files: [file], vars: { SHOP_VERSION: "1.0" } });
          // Bounded work per case (a hang or an explosion would blow far past this).
          expect(Date.now() - started).toBeLessThan(2_000);
          for (const d of result.diagnostics) {
            expect(d.file).toBe("service.yaml");
            expect(d.line > 0 || d.path !== "").toBe(true);
            expect(d.message.length).toBeLessThan(2_000);
          }
          if (result.services.length === 0)
            expect(result.diagnostics.some((d) => d.severity === "error")).toBe(true);
        },
      ),
      { numRuns: RUNS, ...(SEED !== undefined ? { seed: SEED } : {}) },
    );
  }, 600_000);

  it(`${RUNS / 2} mutated compose files and VKubefiles: convert never crashes or hangs, and what it writes loads`, () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...convertSeeds),
        fc.array(mutation, { minLength: 1, maxLength: 8 }),
        (seed, steps) => {
          const text = mutate(seed, steps);
          const started = Date.now();
          const converted = convertSource(
            text,
            { file: "docker-compose.yml", absolute: join(dir, "docker-compose.yml") },
            { name: "fuzz", target: "local", outDir: dir, kindOf: () => undefined },
          );
          if (!converted.ok) {
            for (const d of converted.diagnostics) {
              expect(d.file).toBe("docker-compose.yml");
              expect(d.line).toBeGreaterThan(0);
            }
            return;
          }
          // What convert writes is read back by svc's own loader without crashing.
          const file = join(dir, "converted.yaml");
          writeFileSync(file, converted.text);
          loadServices({ cwd: dir, files: [file], vars: {}, allowOutside: true });
          expect(Date.now() - started).toBeLessThan(2_000);
        },
      ),
      { numRuns: RUNS / 2, ...(SEED !== undefined ? { seed: SEED } : {}) },
    );
  }, 600_000);
});

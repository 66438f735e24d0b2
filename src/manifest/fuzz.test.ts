import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { convertSource } from "../convert/convert.js";
import { loadServices } from "./load.js";
import { LIMITS } from "./source.js";

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

/** Paths that name no regular file: each is refused at once, never read, never waited on. */
describe("input that is not a regular file", () => {
  const special = mkdtempSync(join(tmpdir(), "svc-special-"));
  const fifo = join(special, "service.yaml.fifo");
  spawnSync("mkfifo", [fifo]);
  const socketPath = join(special, "service.sock");
  const server = net.createServer().listen(socketPath);
  afterAll(() => {
    server.close();
  });

  it.each([
    ["a FIFO given with -f", { files: [fifo] }, "is a FIFO (named pipe), not a manifest file"],
    ["a device given with -f", { files: ["/dev/zero"] }, "/dev/zero is a device, not a manifest file"],
    ["a socket given with -f", { files: [socketPath] }, "is a socket, not a manifest file"],
    ["a directory given with -f", { files: [special] }, "is a directory, not a manifest file"],
    [
      "a device given as a directory",
      { paths: ["/dev/null"] },
      "/dev/null is a device, not a manifest file or a directory",
    ],
    [
      "a FIFO given as a directory",
      { paths: [fifo] },
      "is a FIFO (named pipe), not a manifest file or a directory",
    ],
  ])("%s", async (_, options, message) => {
    await new Promise((resolve) =>
      server.listening ? resolve(undefined) : server.once("listening", resolve),
    );
    const result = loadServices({ cwd: special, vars: {}, ...options });
    expect(result.services).toEqual([]);
    expect(result.diagnostics.map((d) => d.message).join("\n")).toContain(message);
  });

  it("a file growing past the limit is read only to the limit", () => {
    const file = join(special, "big.yaml");
    writeFileSync(file, `# ${"x".repeat(LIMITS.fileBytes * 3)}\n`);
    const [d] = loadServices({ cwd: special, files: [file], vars: {} }).diagnostics;
    expect(d?.message).toBe(
      `the file is over ${LIMITS.fileBytes} bytes; a manifest may have at most ${LIMITS.fileBytes}`,
    );
  });

  it(`${Math.max(20, RUNS / 100)} deeply nested flow collections are refused at their depth before they are parsed`, () => {
    fc.assert(
      fc.property(
        fc.integer({ min: LIMITS.depth + 1, max: 140_000 }),
        fc.constantFrom("{a: ", "[", "{a: ["),
        (depth, open) => {
          const close = open === "[" ? "]" : open === "{a: " ? "}" : "]}";
          const file = join(special, "deep.yaml");
          writeFileSync(file, `apiVersion: svc/v1\nmetadata: ${open.repeat(depth)}${close.repeat(depth)}\n`);
          const result = loadServices({ cwd: special, files: [file], vars: {} });
          expect(result.diagnostics.map((d) => `${d.line} ${d.message}`)).toContain(
            `2 nested more than ${LIMITS.depth} levels deep`,
          );
        },
      ),
      { numRuns: Math.max(20, RUNS / 100), ...(SEED !== undefined ? { seed: SEED } : {}) },
    );
  }, 120_000);
});

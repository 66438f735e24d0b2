import { describe, expect, it } from "vitest";
// @ts-expect-error: a plain ES module script (npm run graph), without type declarations
import { cycles, importGraph, roomOf } from "../scripts/import-graph.mjs";

/** The rules of ARCHITECTURE.md, checked on the import graph of src/ (scripts/import-graph.mjs). */

type Modules = Map<string, { imports: string[]; lines: number; text: string }>;
const modules = importGraph() as Modules;
const room = roomOf as (path: string) => string;

/** Every import from a module in `from` to one in a room of `to`, as `importer → imported`. */
function crossings(from: (room: string) => boolean, to: (room: string) => boolean): string[] {
  const out: string[] = [];
  for (const [path, { imports }] of modules)
    if (from(room(path))) for (const target of imports) if (to(room(target))) out.push(`${path} → ${target}`);
  return out.sort();
}
const among =
  (...rooms: string[]) =>
  (r: string) =>
    rooms.includes(r);
const not = (test: (r: string) => boolean) => (r: string) => !test(r);

describe("architecture (ARCHITECTURE.md)", () => {
  it("reads the whole source tree", () => {
    // A broken parser would find nothing and let every rule pass.
    expect(modules.size).toBeGreaterThan(80);
    expect(modules.get("src/commands/apply.ts")?.imports).toContain("src/apply/apply.ts");
  });

  it("has no import from cli/ or commands/ in any lower layer", () => {
    expect(crossings(not(among("cli", "commands", "hooks")), among("cli", "commands", "hooks"))).toEqual([]);
  });

  it("keeps views free of the outside world: render/ calls no platform, keychain, engine or build", () => {
    expect(
      crossings(among("render"), among("platform", "credentials", "local/server", "local/control", "build")),
    ).toEqual([]);
  });

  it("keeps the local platform a program of its own, sharing only the API's types and where files are", () => {
    const allowed = among("local/server", "local/paths", "platform", "util");
    expect(crossings(among("local/server"), not(allowed))).toEqual([]);
    expect(crossings(among("local/control"), among("local/server"))).toEqual([]);
  });

  it("has no import cycle", () => {
    expect((cycles(modules) as string[][]).map((c) => c.join(" → "))).toEqual([]);
  });

  it("orders text by code unit, never by the machine's locale (util/sorted.ts byText)", () => {
    const locale = [...modules]
      .filter(([path, m]) => !path.endsWith(".test.ts") && /\.localeCompare\(/.test(m.text))
      .map(([path]) => path);
    expect(locale).toEqual([]);
  });

  it("says at the top why a source file is longer than 300 lines", () => {
    const long = [...modules]
      .filter(([, m]) => m.lines > 300 && !m.text.slice(0, 400).includes("Longer than 300 lines:"))
      .map(([path, m]) => `${path} (${m.lines} lines)`);
    expect(long).toEqual([]);
  });
});

// The import graph of src/: which module imports which, and the same by room (top-level folder;
// local/server and local/control are rooms of their own). `npm run graph` prints the rooms as a
// Mermaid flowchart (paste it into a Markdown file or https://mermaid.live); `-- --files` prints
// every module's edges. test/architecture.test.ts checks the rules of ARCHITECTURE.md on it.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** Source modules (no tests, test support or generated code) and their relative imports, as repo paths. */
export function importGraph(root = join(repo, "src")) {
  const modules = new Map();
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== "test-support") walk(path);
      } else if (/\.ts$/.test(entry.name) && !/\.(test|gen)\.ts$/.test(entry.name)) {
        const text = readFileSync(path, "utf8");
        const imports = [...text.matchAll(/(?:^|\n)(?:import|export)[^"';]*?from\s*"(\.[^"]+)"/g)].map((m) =>
          relative(repo, resolve(dirname(path), m[1].replace(/\.js$/, ".ts"))),
        );
        modules.set(relative(repo, path), { imports, lines: text.split("\n").length, text });
      }
    }
  };
  walk(root);
  return modules;
}

/** A module's room: `apply`, `plan`, `local/server`, ... (a file directly in src/ is its own). */
export function roomOf(path) {
  const parts = path.replace(/^src\//, "").split("/");
  if (parts.length === 1) return parts[0].replace(/\.ts$/, "");
  if (parts[0] === "local" && parts.length > 2) return `local/${parts[1]}`;
  return parts[0] === "local" ? `local/${parts[1].replace(/\.ts$/, "")}` : parts[0];
}

/** Room → the rooms it imports, sorted. */
export function roomGraph(modules) {
  const rooms = new Map();
  for (const [path, { imports }] of modules) {
    const from = roomOf(path);
    if (!rooms.has(from)) rooms.set(from, new Set());
    for (const target of imports) if (roomOf(target) !== from) rooms.get(from).add(roomOf(target));
  }
  return new Map([...rooms].sort(([a], [b]) => (a < b ? -1 : 1)).map(([r, s]) => [r, [...s].sort()]));
}

/** Import cycles between modules, each as the list of paths around it. */
export function cycles(modules) {
  const state = new Map();
  const found = [];
  const visit = (path, stack) => {
    state.set(path, "open");
    stack.push(path);
    for (const next of modules.get(path)?.imports ?? []) {
      if (!modules.has(next)) continue;
      if (state.get(next) === "open") found.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next, stack);
    }
    stack.pop();
    state.set(path, "done");
  };
  for (const path of [...modules.keys()].sort()) if (!state.has(path)) visit(path, []);
  return found;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const modules = importGraph();
  if (process.argv.includes("--files")) {
    for (const [path, { imports }] of [...modules].sort())
      console.log(`${path}\n  ${imports.sort().join("\n  ")}`);
  } else {
    const id = (room) => room.replace(/[^a-z]/g, "_");
    console.log("flowchart TD");
    for (const [room, targets] of roomGraph(modules))
      for (const target of targets) console.log(`  ${id(room)}[${room}] --> ${id(target)}[${target}]`);
  }
}

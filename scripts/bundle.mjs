// Build step, after tsc: bundles the CLI (dist/cli/main.js, every command, the hook) with oclif and
// the light dependencies into one CommonJS file, dist/bundle/svc.cjs, whose COMMANDS export is
// oclif's explicit command list (package.json oclif.commands). Node reads and compiles one file
// instead of hundreds (oclif and yaml alone are ~140 modules), and one CommonJS script is what V8
// can keep compiled between runs on Node 20 (bin/run.js). Modules a command imports with
// `await import()` are initialised only when it does: that is how the local platform's server and
// the other heavy parts stay out of start-up (test/startup.test.ts). Dependencies that are native,
// large or used by one command stay external, loaded from node_modules when used.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const dist = fileURLToPath(new URL("../dist", import.meta.url));
const out = join(dist, "bundle", "svc.cjs");
const files = (dir) =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith(".js") ? [join(dir, e.name)] : [],
  );

/** The commands under a directory with their oclif ids: `local/up.js` → `local:up`, `x/index.js` → `x`. */
const commandsIn = (dir) =>
  files(dir).map((path) => ({
    path,
    id: relative(dir, path)
      .replace(/([\\/]index)?\.js$/, "")
      .split(sep)
      .join(":"),
  }));

const external = [
  "@balena/dockerignore",
  "@napi-rs/keyring",
  "ajv",
  "ajv/*",
  "ajv-errors",
  "better-sqlite3",
  "dockerode",
  "fastify",
  "listr2",
  "node-forge",
  "tar-stream",
  // Loaded by oclif only to run TypeScript sources (never here).
  "typescript",
];

/**
 * The entry: main, the hook, and every command under its oclif id as a getter. A module reached
 * only through require() is initialised when first required, so running one command initialises
 * only the modules it imports (and their Node built-ins): oclif reads a command's flags and help
 * from oclif.manifest.json and takes the class only to run it.
 */
function entry() {
  const commands = [...commandsIn(join(dist, "commands")), ...oclifPluginCommands()].sort((a, b) =>
    a.id < b.id ? -1 : a.id > b.id ? 1 : 0,
  );
  const modulePath = (path) => `./${relative(dist, path).split(sep).join("/")}`;
  return [
    'export { main } from "./cli/main.js";',
    'export { activity } from "./util/activity.js";',
    'export { default as notFound } from "./hooks/not-found.js";',
    "export const COMMANDS = Object.defineProperties({}, {",
    ...commands.map(
      (c) => `  "${c.id}": { enumerable: true, get: () => require("${modulePath(c.path)}").default },`,
    ),
    "});",
  ].join("\n");
}

/**
 * `svc help`, `svc version` and `svc autocomplete` come from oclif's plugins, bundled as svc's own
 * commands rather than loaded as plugins: oclif would read three more package.json files and
 * manifests before every command, and load their ES modules with import(). A package's exports
 * hide its commands directory, so it is found beside the package's entry.
 */
function oclifPluginCommands() {
  const require = createRequire(import.meta.url);
  return ["@oclif/plugin-help", "@oclif/plugin-version", "@oclif/plugin-autocomplete"].flatMap((name) =>
    commandsIn(join(dirname(require.resolve(name)), "commands")),
  );
}

/**
 * oclif sorts each plugin's commands with `localeCompare`, whose first call loads the ICU collator:
 * 8-15 ms of every command's start-up, a tenth of `svc validate` (npm run bench). Code-unit order is
 * the same for command ids (lower-case words and colons). Fails the build if oclif's code changes,
 * so the edit is never silently lost.
 */
const oclifCommandOrder = {
  name: "oclif-command-order",
  setup(build) {
    build.onLoad({ filter: /@oclif[\\/]core[\\/]lib[\\/]config[\\/]plugin\.js$/ }, (args) => {
      const source = readFileSync(args.path, "utf8");
      const sort = ".sort((a, b) => a.id.localeCompare(b.id))";
      if (!source.includes(sort))
        throw new Error(`${args.path}: oclif no longer sorts with "${sort}"; review scripts/bundle.mjs`);
      return {
        contents: source.replace(sort, ".sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))"),
        loader: "js",
      };
    });
  },
};

// Clear what earlier builds wrote, or it would ship too.
rmSync(join(dist, "bundle"), { recursive: true, force: true });
await build({
  stdin: { contents: entry(), resolveDir: dist, sourcefile: "svc-entry.js", loader: "js" },
  outfile: out,
  bundle: true,
  format: "cjs",
  platform: "node",
  target: "node20",
  external,
  // `await import("dockerode")` becomes a require() when it runs: every external has a CommonJS
  // entry, and a script run through node:vm (bin/run.js) has no import() of its own on Node 20.
  // The default export is then module.exports, as Node gives it to an ES module: a package whose
  // CommonJS entry exports { default } (@inquirer/password) is bundled instead, from its ES entry.
  supported: { "dynamic-import": false },
  // The sources are ES modules: in CommonJS, import.meta.url is the bundle's own URL.
  define: { "import.meta.url": "__svcModuleUrl" },
  banner: { js: 'const __svcModuleUrl = require("node:url").pathToFileURL(__filename).href;' },
  plugins: [oclifCommandOrder],
  logLevel: "warning",
  legalComments: "none",
});
// What bin/run.js keys V8's code cache by: V8 itself checks only the source's length.
writeFileSync(`${out}.sha256`, `${createHash("sha256").update(readFileSync(out)).digest("hex")}\n`);

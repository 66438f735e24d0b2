// Build step, after tsc: bundles the CLI (dist/cli/main.js, every command, the hooks) with oclif
// and the light dependencies into dist/bundle/, split into chunks so a command loads only what
// it uses. Node resolves and compiles a few files instead of hundreds (oclif and yaml alone are
// ~140 modules): `svc validate` starts in about two thirds of the time (npm run bench).
// Dependencies that are native, large or used by one command (the local platform's server,
// Docker, the keychain, prompts, task lists) stay external, loaded from node_modules when used.
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const dist = fileURLToPath(new URL("../dist", import.meta.url));
const entries = (dir) =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? entries(join(dir, e.name)) : e.name.endsWith(".js") ? [join(dir, e.name)] : [],
  );

const external = [
  "@balena/dockerignore",
  "@inquirer/password",
  "@napi-rs/keyring",
  "ajv",
  "ajv/*",
  "ajv-errors",
  "better-sqlite3",
  "cli-table3",
  "diff",
  "dockerode",
  "fastify",
  "listr2",
  "node-forge",
  "tar-stream",
  // Loaded by oclif only to run TypeScript sources (never here).
  "typescript",
];

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

// Chunk names carry a content hash: clear the chunks of earlier builds, or they would ship too.
rmSync(join(dist, "bundle"), { recursive: true, force: true });
await build({
  entryPoints: [
    join(dist, "cli/main.js"),
    ...entries(join(dist, "commands")),
    ...entries(join(dist, "hooks")),
  ].map((path) => ({ in: path, out: relative(dist, path).replace(/\.js$/, "") })),
  outdir: join(dist, "bundle"),
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  external,
  chunkNames: "chunks/[name]-[hash]",
  // oclif and other CommonJS packages call require(): give the ES modules one.
  banner: {
    js: 'import { createRequire as __svcRequire } from "node:module"; const require = __svcRequire(import.meta.url);',
  },
  logLevel: "warning",
  legalComments: "none",
  plugins: [oclifCommandOrder],
});

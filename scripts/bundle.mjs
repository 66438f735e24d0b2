// Build step, after tsc: bundles the CLI (dist/cli/main.js, every command, the hooks) with oclif
// and the light dependencies into dist/bundle/, split into chunks so a command loads only what
// it uses. Node resolves and compiles a few files instead of hundreds (oclif and yaml alone are
// ~140 modules): `svc validate` starts in about two thirds of the time (npm run bench).
// Dependencies that are native, large or used by one command (the local platform's server,
// Docker, the keychain, prompts, task lists) stay external, loaded from node_modules when used.
import { readdirSync } from "node:fs";
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
});

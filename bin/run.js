#!/usr/bin/env node
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import Module, { createRequire } from "node:module";
import { arch, homedir, platform } from "node:os";
import { basename, dirname, isAbsolute, join } from "node:path";
import { fileURLToPath } from "node:url";
import vm from "node:vm";

// `svc --version` is asked often (scripts, CI logs) and needs none of the CLI: answered here, as
// oclif words it, without loading it.
const args = process.argv.slice(2);
if (args.length === 1 && args[0] === "--version") {
  const { name, version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
  process.stdout.write(
    `${name}/${version} ${platform()}-${arch() === "ia32" ? "x86" : arch()} node-${process.version}\n`,
  );
} else {
  // The CLI, bundled into one CommonJS file (npm run build: scripts/bundle.mjs); its COMMANDS are
  // the ones oclif runs (package.json oclif.commands).
  const { main, activity } = loadWithCodeCache(
    fileURLToPath(new URL("../dist/bundle/svc.cjs", import.meta.url)),
  );
  guardTheVerdict(main(), activity);
}

/**
 * svc ends with one of the README's exit codes, and says why. A run whose work stops without a
 * verdict — every timer and socket gone while a promise never settles (Node would exit 13 in
 * silence), or an exit code in no table — is a bug in svc: it exits 1 saying so and where it was.
 */
function guardTheVerdict(running, activity) {
  const KNOWN = new Set([0, 1, 2, 3, 4, 5, 6, 7, 130]);
  let settled = false;
  const say = (why) =>
    process.stderr.write(
      `Error: svc stopped without a result (this is a bug in svc): ${why}, while ${activity?.() ?? "starting"}.\n` +
        "Try this: run svc plan to see the live state; re-run with --debug and report it.\n",
    );
  running.then(
    () => {
      settled = true;
    },
    (error) => {
      settled = true;
      process.stderr.write(`Error: ${error?.stack ?? error}\nThis is a bug in svc: report it.\n`);
      process.exitCode = 1;
    },
  );
  process.on("beforeExit", () => {
    if (settled) return;
    say("nothing was left to wait for");
    process.exit(1);
  });
  process.on("exit", (code) => {
    if (KNOWN.has(code)) return;
    say(`it was ending with exit code ${code}`);
    process.exitCode = 1;
  });
}

/**
 * Loads the bundle as `require` would, with V8's compiled code kept between runs: compiling it is
 * a third of a short command's start-up (npm run bench), and Node 20 has no compile cache of its
 * own (Node 22's module.enableCompileCache is the same idea). The code is kept per command (what
 * one command compiles is what it runs) in the user's cache directory, keyed by the bundle's
 * content hash written at build; V8 refuses a cache from another V8 or other flags, and a refused
 * or missing one is written again when the command ends. SVC_NO_COMPILE_CACHE=1 turns it off.
 */
function loadWithCodeCache(file) {
  const source = readFileSync(file, "utf8");
  const cacheFile = codeCacheFile(file);
  let cachedData;
  try {
    if (cacheFile) cachedData = readFileSync(cacheFile);
  } catch {
    // Not there yet: written at exit.
  }
  const script = new vm.Script(Module.wrap(source), { filename: file, cachedData });
  const module = new Module(file);
  module.filename = file;
  const require = createRequire(file);
  // In require's cache before it runs, as require does: oclif requires the same file for COMMANDS.
  require.cache[file] = module;
  script.runInThisContext()(module.exports, require, module, file, dirname(file));
  module.loaded = true;
  if (cacheFile && (cachedData === undefined || script.cachedDataRejected)) {
    process.once("exit", () => {
      try {
        const dir = dirname(cacheFile);
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        const partial = `${cacheFile}.${process.pid}`;
        writeFileSync(partial, script.createCachedData(), { mode: 0o600 });
        renameSync(partial, cacheFile);
        // Code of other builds (an upgrade, a rebuild) is never read again.
        const build = basename(cacheFile).split("-")[0];
        for (const name of readdirSync(dir))
          if (!name.startsWith(`${build}-`)) rmSync(join(dir, name), { force: true });
      } catch {
        // A read-only or full disk: the next run compiles again, nothing else changes.
      }
    });
  }
  return module.exports;
}

/** Where this command's compiled code is kept, or undefined when that is turned off or unknown. */
function codeCacheFile(file) {
  if (process.env.SVC_NO_COMPILE_CACHE === "1") return undefined;
  let hash;
  try {
    hash = readFileSync(`${file}.sha256`, "utf8").trim();
  } catch {
    return undefined;
  }
  // The XDG base directory rule: a relative XDG_CACHE_HOME is ignored.
  const xdg = process.env.XDG_CACHE_HOME;
  const root = xdg && isAbsolute(xdg) ? xdg : join(homedir(), ".cache");
  const command = /^[a-z][a-z-]*$/.test(args[0] ?? "") ? args[0] : "other";
  return join(root, "svc", "code", `${hash.slice(0, 16)}-${process.version}-${arch()}-${command}.bin`);
}

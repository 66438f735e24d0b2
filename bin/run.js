#!/usr/bin/env node
import { readFileSync } from "node:fs";
import module from "node:module";
import { arch, platform } from "node:os";

// `svc --version` is asked often (scripts, CI logs) and needs none of the CLI: answered here, as
// oclif words it, without loading it.
const args = process.argv.slice(2);
if (args.length === 1 && args[0] === "--version") {
  const { name, version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
  process.stdout.write(
    `${name}/${version} ${platform()}-${arch() === "ia32" ? "x86" : arch()} node-${process.version}\n`,
  );
} else {
  // Node 22.1 and later keep compiled code between runs (no such thing on Node 20).
  module.enableCompileCache?.();
  // The bundle (npm run build: scripts/bundle.mjs) loads in a fraction of the time of the modules
  // it is made of; its commands are the ones oclif runs (package.json oclif.commands).
  const { main } = await import("../dist/bundle/cli/main.js");
  await main();
}

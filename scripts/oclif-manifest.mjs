// Build step: writes oclif.manifest.json (what `oclif manifest` does), so at startup oclif reads
// the commands' flags and help from one file and imports only the command being run.
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Plugin } from "@oclif/core";

const root = fileURLToPath(new URL("..", import.meta.url));
const plugin = new Plugin({
  root,
  type: "core",
  ignoreManifest: true,
  errorOnManifestCreate: true,
  isRoot: true,
});
await plugin.load();
writeFileSync(
  new URL("../oclif.manifest.json", import.meta.url),
  `${JSON.stringify(plugin.manifest, null, 2)}\n`,
);

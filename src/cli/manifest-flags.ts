import * as Flags from "@oclif/core/flags";
import { ExitCode, UserError } from "../errors.js";
import type { Variables } from "../spec/interpolate.js";

/** Flags shared by every command that reads manifests. */
export const manifestFlags = {
  file: Flags.string({
    char: "f",
    multiple: true,
    description: "Manifest to read; repeat to merge overrides in order (maps merge, lists replace).",
    helpValue: "FILE",
  }),
  var: Flags.string({
    multiple: true,
    description: "Set an interpolation variable, overriding the environment.",
    helpValue: "KEY=VALUE",
  }),
  "allow-outside": Flags.boolean({
    description: "Let files[].source point outside the manifest's repository (never /proc, /sys or /dev).",
  }),
};

/** The environment overlaid with `--var KEY=VALUE` pairs. */
export function interpolationVariables(pairs: readonly string[] = [], env = process.env): Variables {
  const vars: Record<string, string | undefined> = { ...env };
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    const key = eq > 0 ? pair.slice(0, eq) : "";
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
      throw new UserError(`--var "${pair}" is not KEY=VALUE`, {
        hint: "pass --var GIT_SHA=abc123 (the key is a variable name)",
        exitCode: ExitCode.invalidInput,
      });
    }
    vars[key] = pair.slice(eq + 1);
  }
  return vars;
}

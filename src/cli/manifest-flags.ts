import { relative, resolve, sep } from "node:path";
import * as Flags from "@oclif/core/flags";
import { ExitCode, UserError } from "../errors.js";
import type { Variables } from "../manifest/interpolate.js";
import type { ServiceSpec } from "../manifest/model.js";
import { wholeRepositories } from "../manifest/repository.js";

/** Flags shared by every command that reads manifests. */
export const manifestFlags = {
  file: Flags.string({
    char: "f",
    multiple: true,
    description:
      "Manifest to read; repeat to merge overrides in order (maps merge, containers and domains merge by name, other lists replace, null removes).",
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

/**
 * Whether a plan may look for orphans (services a repository deployed whose manifest is gone):
 * only when it reads whole repositories — no -f, no --target, the directories searched holding
 * each manifest's repository root. `--prune` anywhere else is refused: from a partial view it
 * would stop services whose manifests were simply not read.
 */
export function orphanScope(
  flags: { file?: string[]; target?: string[]; prune?: boolean },
  specs: ServiceSpec[],
  paths: string[],
): { prune: boolean } | undefined {
  const whole =
    !flags.file?.length &&
    !flags.target?.length &&
    wholeRepositories(
      specs.flatMap((s) => s.files),
      paths,
    );
  if (whole) return { prune: flags.prune ?? false };
  if (flags.prune)
    throw new UserError("--prune needs whole repositories: it stops services whose manifest is gone", {
      hint: "run it at the repository root (or pass that directory), without -f or --target",
      exitCode: ExitCode.invalidInput,
    });
  return undefined;
}

/**
 * Which plan a pull-request comment holds: the directories (or -f files) read and the targets
 * chosen, e.g. `dirs=services targets=*`. Stable while a pull request changes what is in them.
 */
export function planKey(flags: { file?: string[]; target?: string[] }, paths: string[]): string {
  const read = paths.length > 0 ? paths : flags.file?.length ? flags.file : ["."];
  const dirs = [...new Set(read.map((p) => relative(process.cwd(), resolve(p)).replaceAll(sep, "/") || "."))];
  const targets = flags.target?.length ? [...new Set(flags.target)].sort() : ["*"];
  return `${flags.file?.length && paths.length === 0 ? "files" : "dirs"}=${dirs.sort().map(encodeURI).join(",")} targets=${targets.join(",")}`;
}

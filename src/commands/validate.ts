import * as Args from "@oclif/core/args";
import * as Flags from "@oclif/core/flags";
import pc from "picocolors";
import { SvcCommand } from "../cli/base.js";
import { interpolationVariables, manifestFlags } from "../cli/manifest-flags.js";
import { ExitCode } from "../errors.js";
import type { Diagnostic } from "../manifest/diagnostics.js";
import { serviceInputs } from "../manifest/inputs.js";
import { loadServices } from "../manifest/load.js";
import { renderDiagnostics } from "../render/diagnostics.js";
import { githubAnnotations } from "../render/github.js";
import { countOf } from "../util/plural.js";

/** `svc validate --json`; schema: schemas/validate-result.schema.json. */
export interface ValidateResult {
  version: 1;
  valid: boolean;
  files: string[];
  services: { name: string; target: string; files: string[]; inputs: string[] }[];
  diagnostics: Diagnostic[];
  summary: { errors: number; warnings: number };
}

export default class Validate extends SvcCommand {
  static override summary =
    "Check manifests offline: schema, interpolation and every rule that needs no platform.";
  static override description =
    "With no argument, reads ./service.yaml. Exit codes: 0 valid (warnings are still printed), 3 invalid.";
  static override examples = [
    "<%= config.bin %> validate",
    "<%= config.bin %> validate examples/",
    "<%= config.bin %> validate -f service.yaml -f prod.yaml --var GIT_SHA=abc123",
    "<%= config.bin %> validate --format github",
  ];
  static override strict = false;
  static override args = {
    path: Args.string({ description: "Directories to search for **/service.yaml (or manifest files)." }),
  };
  static override flags = {
    ...manifestFlags,
    format: Flags.string({
      description:
        "Output format. github: a GitHub Actions annotation for every problem, at its file and line.",
      options: ["human", "github"],
      default: "human",
    }),
  };

  async run(): Promise<ValidateResult> {
    const { argv, flags } = await this.parse(Validate);
    const loaded = loadServices({
      files: flags.file ?? [],
      paths: argv as string[],
      vars: interpolationVariables(flags.var),
      allowOutside: flags["allow-outside"],
    });
    const errors = loaded.diagnostics.filter((d) => d.severity === "error").length;
    const result: ValidateResult = {
      version: 1,
      valid: errors === 0,
      files: loaded.files,
      services: loaded.services.map((s) => ({
        name: s.name,
        target: s.target,
        files: s.files,
        inputs: serviceInputs(s, process.cwd()),
      })),
      diagnostics: loaded.diagnostics,
      summary: { errors, warnings: loaded.diagnostics.length - errors },
    };

    if (this.jsonEnabled()) {
      if (!result.valid) {
        this.logJson(result);
        this.exit(ExitCode.invalidInput);
      }
      return result;
    }
    if (loaded.diagnostics.length > 0)
      this.log(
        flags.format === "github"
          ? githubAnnotations(loaded.diagnostics)
          : renderDiagnostics(loaded.diagnostics),
      );
    const warnings = result.summary.warnings ? `, ${countOf(result.summary.warnings, "warning")}` : "";
    if (!result.valid) {
      this.log(pc.red(`✖ ${countOf(errors, "error")}${warnings} in ${countOf(loaded.files.length, "file")}`));
      this.exit(ExitCode.invalidInput);
    }
    const names = result.services.map((s) => s.name).join(", ");
    this.log(pc.green(`✔ ${countOf(result.services.length, "service")} valid: ${names}${warnings}`));
    return result;
  }
}

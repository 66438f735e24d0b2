import * as Args from "@oclif/core/args";
import * as Flags from "@oclif/core/flags";
import { SvcCommand } from "../cli/base.js";
import { interpolationVariables } from "../cli/manifest-flags.js";
import type { Dropped } from "../convert/fields.js";
import { convertFile } from "../convert/run.js";
import { Credentials } from "../credentials/credentials.js";
import { ExitCode } from "../errors.js";
import { showConverted } from "../render/convert-view.js";
import { renderDiagnostics } from "../render/diagnostics.js";

export interface ConvertResult {
  format: "vkube" | "compose";
  file?: string;
  /** The report saved beside it (-o). */
  report?: string;
  /** --split, or a project one pod cannot hold: the manifests written, one per service or pod. */
  files?: string[];
  dropped: Dropped[];
  notes: string[];
  valid: boolean;
}

export default class Convert extends SvcCommand {
  static override summary = "Turn a VKubefile or a docker-compose file into a service.yaml.";
  static override description =
    "Every key that cannot be carried over is listed with the reason. A VKubefile's vkubeToken is never copied: store it with svc login. The result is checked as svc validate would.";
  static override examples = [
    "<%= config.bin %> convert VKubefile.yaml -o service.yaml",
    "<%= config.bin %> convert docker-compose.yml --target shop-prod",
    "<%= config.bin %> convert docker-compose.yml -o deploy/   # one manifest per pod when one pod cannot hold it",
  ];
  static override args = {
    file: Args.string({ description: "VKubefile or docker-compose file.", required: true }),
  };
  static override flags = {
    output: Flags.string({
      char: "o",
      description:
        "Write here instead of standard output. A compose project one pod cannot hold (one image twice, one container port twice, more than 16 services) needs a directory: DIR/<first service>/service.yaml per pod.",
      helpValue: "FILE|DIR",
    }),
    name: Flags.string({ description: "metadata.name (default: from the file's directory)." }),
    target: Flags.string({
      description: "spec.target (default: local for a compose file, the service's name for a VKubefile).",
    }),
    force: Flags.boolean({ description: "Overwrite the output file if it exists." }),
    split: Flags.boolean({
      description:
        "compose: one manifest per compose service (-o DIR: DIR/<service>/service.yaml), each its own service and target.",
    }),
    profile: Flags.string({
      multiple: true,
      description:
        "Also convert the compose services of this profile (compose starts them only with --profile).",
    }),
  };

  async run(): Promise<ConvertResult> {
    const { args, flags } = await this.parse(Convert);
    const run = convertFile({
      file: args.file,
      ...(flags.output ? { output: flags.output } : {}),
      ...(flags.name ? { name: flags.name } : {}),
      ...(flags.target ? { target: flags.target } : {}),
      force: flags.force,
      split: flags.split,
      ...(flags.profile ? { profiles: flags.profile } : {}),
      held: await new Credentials().heldSecrets(),
      vars: interpolationVariables(),
    });
    if (!run.ok) {
      if (this.jsonEnabled()) this.logJson({ valid: false, diagnostics: run.diagnostics });
      else process.stderr.write(`${renderDiagnostics(run.diagnostics)}\n`);
      this.exit(ExitCode.invalidInput);
    }
    if (!this.jsonEnabled()) for (const m of run.manifests) showConverted(m);
    const [one] = run.manifests;
    // Several manifests (--split, or one per pod): what one could not carry, the others often
    // could not either: said once.
    const dropped = new Map(run.manifests.flatMap((m) => m.conversion.dropped).map((d) => [d.path, d]));
    const result: ConvertResult =
      run.manifests.length !== 1 || !one
        ? {
            format: run.format,
            files: run.manifests.map((m) => m.out as string),
            dropped: [...dropped.values()],
            notes: [...new Set(run.manifests.flatMap((m) => m.conversion.notes))],
            valid: run.manifests.every((m) => m.valid),
          }
        : {
            format: run.format,
            ...(one.out ? { file: one.out } : {}),
            ...(one.report ? { report: one.report } : {}),
            dropped: one.conversion.dropped,
            notes: one.conversion.notes,
            valid: one.valid,
          };
    if (!result.valid) {
      if (this.jsonEnabled()) this.logJson(result);
      this.exit(ExitCode.invalidInput);
    }
    return result;
  }
}

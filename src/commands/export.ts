import { relative, resolve } from "node:path";
import * as Args from "@oclif/core/args";
import * as Flags from "@oclif/core/flags";
import pc from "picocolors";
import { OpsCommand } from "../cli/ops-command.js";
import { type ExportResult, exportService } from "../convert/export.js";

export default class Export extends OpsCommand {
  static override summary = "Write a target's live service as a service.yaml that plans as No changes.";
  static override description =
    "Env values whose names look secret (PASSWORD, TOKEN, KEY, ...) become { secret: NAME } references: to a secret svc already holds with that value (environment or keychain), else to a new one stored in the keychain like `svc secret set NAME`. They are never written to a file. Config files are written beside the manifest.";
  static override examples = ["<%= config.bin %> export local -o service.yaml"];
  static override args = { target: Args.string({ description: "Target name.", required: true }) };
  static override flags = {
    output: Flags.string({
      char: "o",
      description: "Write here instead of standard output.",
      helpValue: "FILE",
    }),
    name: Flags.string({
      description: "metadata.name (default: the manifest name svc marked it with, else the target name).",
    }),
  };

  async run(): Promise<ExportResult> {
    const { args, flags } = await this.parse(Export);
    const client = await this.client(args.target);
    const out = flags.output ? resolve(flags.output) : undefined;
    const result = await exportService(await client.observe(), {
      target: args.target,
      ...(flags.name ? { name: flags.name } : {}),
      ...(out ? { out } : {}),
      credentials: this.credentials,
    });
    if (this.jsonEnabled()) return result;
    if (!out) process.stdout.write(result.manifest);
    else {
      const files = result.files.length ? ` and ${result.files.length} config file(s)` : "";
      this.log(`${pc.green("✔")} wrote ${relative(process.cwd(), out) || out}${files}`);
      for (const s of result.secrets) this.log(`  secret ${s} stored in the keychain (svc secret list)`);
    }
    return result;
  }
}

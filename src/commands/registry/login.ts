import * as Args from "@oclif/core/args";
import * as Flags from "@oclif/core/flags";
import pc from "picocolors";
import { CredentialCommand } from "../../cli/credential-command.js";
import { readSecret } from "../../cli/input.js";
import { ExitCode, UserError } from "../../errors.js";

export default class RegistryLogin extends CredentialCommand {
  static override summary =
    "Store a private registry login in the OS keychain (used to pull private images).";
  static override description =
    "CI sets SVC_REGISTRY_<HOST>=USER:PASSWORD instead (e.g. SVC_REGISTRY_GHCR_IO).";
  static override examples = [
    'printf %s "$PAT" | <%= config.bin %> registry login ghcr.io -u octocat --password-stdin',
  ];
  static override args = {
    host: Args.string({ description: "Registry host, e.g. ghcr.io.", required: true }),
  };
  static override flags = {
    username: Flags.string({ char: "u", description: "User name.", required: true }),
    "password-stdin": Flags.boolean({
      description: "Read the password from standard input (else a hidden prompt).",
    }),
  };

  async run(): Promise<{ host: string; username: string }> {
    const { args, flags } = await this.parse(RegistryLogin);
    this.checkName("registry", args.host);
    if (!flags["password-stdin"] && !process.stdin.isTTY) {
      throw new UserError("no terminal to prompt for the password", {
        hint: "pipe it and pass --password-stdin",
        exitCode: ExitCode.invalidInput,
      });
    }
    const password = await readSecret(`Password for ${flags.username}@${args.host}:`, "password");
    await this.credentials().saveRegistry(args.host, { username: flags.username, password });
    if (!this.jsonEnabled())
      this.log(`${pc.green("✔")} saved the login for ${args.host} (${flags.username})`);
    return { host: args.host, username: flags.username };
  }
}

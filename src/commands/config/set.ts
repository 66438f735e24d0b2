import { existsSync } from "node:fs";
import * as Args from "@oclif/core/args";
import pc from "picocolors";
import { SvcCommand } from "../../cli/base.js";
import { type CredentialStore, credentialsFile, setCredentialStore } from "../../credentials/file-store.js";
import { ExitCode, UserError } from "../../errors.js";

export interface ConfigResult {
  key: "credential-store";
  value: CredentialStore;
  /** Where credentials go from now on, when that is svc's file. */
  file?: string;
}

export default class ConfigSet extends SvcCommand {
  static override summary = "Set one of svc's settings on this machine.";
  static override description =
    "credential-store: keychain (default) keeps credentials in the OS keychain; file keeps them in a plain JSON file readable by you only ($XDG_CONFIG_HOME/svc/credentials.json), for a machine with no Secret Service (a headless server). svc never uses the file without this opt-in, and says so on stderr every time it does.";
  static override examples = [
    "<%= config.bin %> config set credential-store file",
    "<%= config.bin %> config set credential-store keychain",
  ];
  static override args = {
    key: Args.string({ description: "The setting.", required: true, options: ["credential-store"] }),
    value: Args.string({ description: "Its value: keychain or file.", required: true }),
  };

  async run(): Promise<ConfigResult> {
    const { args } = await this.parse(ConfigSet);
    if (args.value !== "keychain" && args.value !== "file") {
      throw new UserError(`credential-store is keychain or file, not ${JSON.stringify(args.value)}`, {
        hint: "svc config set credential-store file (a headless machine) or keychain (the default)",
        exitCode: ExitCode.invalidInput,
      });
    }
    setCredentialStore(args.value);
    const file = credentialsFile();
    if (!this.jsonEnabled()) {
      this.log(
        args.value === "file"
          ? `${pc.yellow("!")} credentials on this machine now go to ${file}: a plain file readable by you only (0600), not a keychain — anyone with your account, or a copy of this disk, can read them. svc config set credential-store keychain switches back (the file stays until you remove it).`
          : `${pc.green("✔")} credentials on this machine go to the OS keychain.${existsSync(file) ? ` The credentials file svc kept before (${file}) is no longer read: remove it when you no longer need it.` : ""}`,
      );
    }
    return { key: "credential-store", value: args.value, ...(args.value === "file" ? { file } : {}) };
  }
}

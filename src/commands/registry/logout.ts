import * as Args from "@oclif/core/args";
import { CredentialCommand } from "../../cli/credential-command.js";

export default class RegistryLogout extends CredentialCommand {
  static override summary = "Remove a registry login from the OS keychain.";
  static override args = { host: Args.string({ description: "Registry host.", required: true }) };

  async run(): Promise<{ host: string; removed: boolean }> {
    const { args } = await this.parse(RegistryLogout);
    return {
      host: args.host,
      removed: await this.removeOne("registry", args.host, `the login for ${args.host}`),
    };
  }
}

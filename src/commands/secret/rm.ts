import * as Args from "@oclif/core/args";
import { CredentialCommand } from "../../cli/credential-command.js";

export default class SecretRm extends CredentialCommand {
  static override summary = "Remove a secret from the OS keychain.";
  static override args = { name: Args.string({ description: "Secret name.", required: true }) };

  async run(): Promise<{ name: string; removed: boolean }> {
    const { args } = await this.parse(SecretRm);
    return { name: args.name, removed: await this.removeOne("secret", args.name, `secret ${args.name}`) };
  }
}

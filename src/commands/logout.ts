import * as Args from "@oclif/core/args";
import { CredentialCommand } from "../cli/credential-command.js";
import { envVar } from "../credentials/names.js";

export default class Logout extends CredentialCommand {
  static override summary = "Remove a target's token from the OS keychain.";
  static override args = { target: Args.string({ description: "Target name.", required: true }) };

  async run(): Promise<{ target: string; removed: boolean; envStillSet: boolean }> {
    const { args } = await this.parse(Logout);
    const removed = await this.removeOne("target", args.target, `the token for target ${args.target}`);
    const variable = envVar("target", args.target);
    const envStillSet = Boolean(process.env[variable]);
    if (envStillSet && !this.jsonEnabled()) this.log(`note: ${variable} is still set and provides a token`);
    return { target: args.target, removed, envStillSet };
  }
}

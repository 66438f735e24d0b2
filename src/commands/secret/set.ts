import * as Args from "@oclif/core/args";
import pc from "picocolors";
import { CredentialCommand } from "../../cli/credential-command.js";
import { readSecret } from "../../cli/input.js";

export default class SecretSet extends CredentialCommand {
  static override summary =
    "Store a secret env value in the OS keychain, for `{ secret: name }` in manifests.";
  static override description =
    "The value comes from standard input or a hidden prompt. CI sets SVC_SECRET_<NAME> instead.";
  static override examples = ["printf %s 's3cret' | <%= config.bin %> secret set shop-db-password"];
  static override args = { name: Args.string({ description: "Secret name.", required: true }) };

  async run(): Promise<{ name: string }> {
    const { args } = await this.parse(SecretSet);
    this.checkName("secret", args.name);
    const value = await readSecret(`Value of ${args.name}:`, "value");
    await this.credentials().save("secret", args.name, value);
    if (!this.jsonEnabled()) this.log(`${pc.green("✔")} saved secret ${args.name}`);
    return { name: args.name };
  }
}

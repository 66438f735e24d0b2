import pc from "picocolors";
import { CredentialCommand } from "../../cli/credential-command.js";
import type { ListedCredential } from "../../credentials/credentials.js";
import { table } from "../../render/table.js";

export default class SecretList extends CredentialCommand {
  static override summary = "List secret names (never values) from the keychain and the environment.";

  async run(): Promise<{ secrets: ListedCredential[]; keychainError?: string }> {
    await this.parse(SecretList);
    const { entries, keychainError } = await this.credentials().list("secret");
    if (!this.jsonEnabled()) {
      if (entries.length === 0) this.log("no secrets: add one with `svc secret set <name>`");
      else
        this.log(
          table(
            ["SECRET", "SOURCE"],
            entries.map((e) => [e.name, e.variable ? `env ${e.variable}` : e.source]),
          ),
        );
      if (keychainError)
        this.log(pc.yellow(`keychain not usable (${keychainError}); showing environment secrets only`));
    }
    return { secrets: entries, ...(keychainError ? { keychainError } : {}) };
  }
}

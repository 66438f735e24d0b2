import { CredentialCommand } from "../../cli/credential-command.js";
import type { ListedCredential } from "../../credentials/credentials.js";

export default class SecretList extends CredentialCommand {
  static override summary = "List secret names (never values) from the keychain and the environment.";

  async run(): Promise<{ secrets: ListedCredential[]; keychainError?: string }> {
    await this.parse(SecretList);
    const { entries, keychainError } = await this.listNames(
      "secret",
      "SECRET",
      "no secrets: add one with `svc secret set <name>`",
    );
    return { secrets: entries, ...(keychainError ? { keychainError } : {}) };
  }
}

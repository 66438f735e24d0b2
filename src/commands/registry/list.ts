import { CredentialCommand } from "../../cli/credential-command.js";
import type { ListedCredential } from "../../credentials/credentials.js";

export default class RegistryList extends CredentialCommand {
  static override summary =
    "List registry logins (hosts, never passwords) from the keychain and the environment.";

  async run(): Promise<{ registries: ListedCredential[]; keychainError?: string }> {
    await this.parse(RegistryList);
    const { entries, keychainError } = await this.listNames(
      "registry",
      "REGISTRY",
      "no registry logins: add one with `svc registry login <host> -u <user>`",
    );
    return { registries: entries, ...(keychainError ? { keychainError } : {}) };
  }
}

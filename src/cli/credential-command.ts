import pc from "picocolors";
import { Credentials, type ListedCredential } from "../credentials/credentials.js";
import { type CredentialKind, nameProblem } from "../credentials/names.js";
import { ExitCode, UserError } from "../errors.js";
import { table } from "../render/table.js";
import { SvcCommand } from "./base.js";

/** Commands that read or write credentials: name checks and the shared resolver. */
export abstract class CredentialCommand extends SvcCommand {
  protected credentials(): Credentials {
    return new Credentials();
  }

  /** Removes one keychain entry, saying whether there was one. */
  protected async removeOne(kind: CredentialKind, name: string, label: string): Promise<boolean> {
    this.checkName(kind, name);
    const removed = await this.credentials().remove(kind, name);
    if (!this.jsonEnabled())
      this.log(removed ? `${pc.green("✔")} removed ${label}` : `nothing to remove: no ${label}`);
    return removed;
  }

  /** Names and where each comes from, never values: keychain entries and environment variables. */
  protected async listNames(
    kind: CredentialKind,
    column: string,
    empty: string,
  ): Promise<{ entries: ListedCredential[]; keychainError?: string }> {
    const listed = await this.credentials().list(kind);
    if (!this.jsonEnabled()) {
      if (listed.entries.length === 0) this.log(empty);
      else
        this.log(
          table(
            [column, "SOURCE"],
            listed.entries.map((e) => [
              // A registry variable's name cannot be turned back into a host (ghcr.io → GHCR_IO).
              kind === "registry" && e.variable ? "(see variable)" : e.name,
              e.variable ? `env ${e.variable}` : e.source,
            ]),
          ),
        );
      if (listed.keychainError)
        this.log(pc.yellow(`keychain not usable (${listed.keychainError}); showing the environment's only`));
    }
    return listed;
  }

  protected checkName(kind: CredentialKind, name: string): void {
    const problem = nameProblem(kind, name);
    if (problem) throw new UserError(problem, { exitCode: ExitCode.invalidInput });
  }
}

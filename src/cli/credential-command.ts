import pc from "picocolors";
import { Credentials } from "../credentials/credentials.js";
import { type CredentialKind, nameProblem } from "../credentials/names.js";
import { ExitCode, UserError } from "../errors.js";
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

  protected checkName(kind: CredentialKind, name: string): void {
    const problem = nameProblem(kind, name);
    if (problem) throw new UserError(problem, { exitCode: ExitCode.invalidInput });
  }
}

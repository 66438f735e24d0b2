import { Credentials } from "../credentials/credentials.js";
import { ExitCode, UserError } from "../errors.js";
import { HttpPlatformClient } from "../platform/client.js";
import { loadServices } from "../spec/load.js";
import { SvcCommand } from "./base.js";
import { interpolationVariables } from "./manifest-flags.js";

/** Day-two commands: they act on targets, named or taken from the manifests here. */
export abstract class OpsCommand extends SvcCommand {
  protected credentials = new Credentials();

  /** The named target, or every target of the manifests in the current directory. */
  protected targets(named: string | undefined): string[] {
    if (named) return [named];
    const loaded = loadServices({ paths: ["."], vars: interpolationVariables() });
    const targets = [...new Set(loaded.services.map((s) => s.target))].sort();
    if (targets.length === 0) {
      throw new UserError("no TARGET given and no valid service.yaml below this directory", {
        hint: "name a target (svc targets lists them), or run this where your manifests are",
        exitCode: ExitCode.invalidInput,
      });
    }
    return targets;
  }

  protected async client(target: string): Promise<HttpPlatformClient> {
    const { value } = await this.credentials.token(target);
    return new HttpPlatformClient(value);
  }
}

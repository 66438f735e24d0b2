import * as Args from "@oclif/core/args";
import { Credentials } from "../credentials/credentials.js";
import { ExitCode, UserError } from "../errors.js";
import { loadServices } from "../manifest/load.js";
import { HttpPlatformClient } from "../platform/client.js";
import type { ClientOptions } from "../platform/http.js";
import { SvcCommand } from "./base.js";
import { interpolationVariables } from "./manifest-flags.js";

/**
 * For commands that list every login (services, targets): each platform asked at once, briefly;
 * one that does not answer is marked unreachable instead of holding up the list.
 */
export const LISTING: ClientOptions = { timeoutMs: 3000, attempts: 2 };

/** The TARGET argument of commands that act on one target (the rule in oneTargetNamedOrHere). */
export const oneTargetArgs = {
  target: Args.string({ description: "Target name (default: the one the manifests below here deploy to)." }),
};

/** Day-two commands: they act on targets, named or taken from the manifests here. */
export abstract class OpsCommand extends SvcCommand {
  protected credentials = new Credentials();

  /** The named target, or every target of the manifests below the current directory. */
  protected targets(named: string | undefined): string[] {
    return targetsNamedOrHere(named);
  }

  /** For commands that act on one target: the named one, or the only one the manifests here use. */
  protected oneTarget(named: string | undefined): string {
    return oneTargetNamedOrHere(named);
  }

  /** Whether svc has a token for this target name (environment, keychain or a local token file). */
  protected async isTarget(name: string): Promise<boolean> {
    return (await this.credentials.list("target")).entries.some((e) => e.name === name);
  }

  protected async client(target: string, options: ClientOptions = {}): Promise<HttpPlatformClient> {
    const { value } = await this.credentials.token(target);
    return new HttpPlatformClient(value, options);
  }
}

/** The named target, or every target of the manifests below the current directory (exit 3 when none). */
export function targetsNamedOrHere(named: string | undefined): string[] {
  if (named) return [named];
  const targets = targetsHere();
  if (targets.length === 0) {
    throw new UserError("no TARGET given and no valid service.yaml below this directory", {
      hint: "name a target (svc targets lists them), or run this where your manifests are",
      exitCode: ExitCode.invalidInput,
    });
  }
  return targets;
}

/** The named target, or the only one the manifests below here use (exit 3 when several). */
export function oneTargetNamedOrHere(named: string | undefined): string {
  const targets = targetsNamedOrHere(named);
  if (targets.length > 1) {
    throw new UserError(`the manifests below this directory deploy to ${targets.length} targets: name one`, {
      hint: `targets here: ${targets.join(", ")}`,
      exitCode: ExitCode.invalidInput,
    });
  }
  return targets[0] as string;
}

/** The targets of the manifests below the current directory, sorted; invalid manifests are skipped. */
export function targetsHere(): string[] {
  const loaded = loadServices({ paths: ["."], vars: interpolationVariables() });
  return [...new Set(loaded.services.map((s) => s.target))].sort();
}

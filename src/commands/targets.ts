import pLimit from "p-limit";
import pc from "picocolors";
import { CredentialCommand } from "../cli/credential-command.js";
import { LISTING } from "../cli/ops-command.js";
import type { CredentialSource } from "../credentials/credentials.js";
import { HttpPlatformClient } from "../platform/client.js";
import { table } from "../render/table.js";

export interface TargetRow {
  name: string;
  source: CredentialSource;
  host?: string;
  serviceId?: string;
  status?: string;
  problem?: string;
}

export default class Targets extends CredentialCommand {
  static override summary =
    "List targets with a token: name, host, service id and where the token comes from.";
  static override description =
    "Never shows a token. Every target's platform is asked for its service id at once (3 s timeout); one that does not answer is marked unreachable.";

  async run(): Promise<{ targets: TargetRow[]; keychainError?: string }> {
    await this.parse(Targets);
    const credentials = this.credentials();
    const { entries, keychainError } = await credentials.list("target");
    const limit = pLimit(8);
    const targets = await Promise.all(
      entries.map((e) =>
        limit(async (): Promise<TargetRow> => {
          const row: TargetRow = { name: e.name, source: e.source };
          try {
            const { value } = await credentials.token(e.name);
            row.host = value.host;
            const service = await new HttpPlatformClient(value, LISTING).userService();
            row.serviceId = service.id;
            row.status = service.status;
          } catch (error) {
            row.problem = (error as Error).message;
          }
          return row;
        }),
      ),
    );
    if (!this.jsonEnabled()) {
      if (targets.length === 0)
        this.log("no targets: add one with `svc login <target>` or SVC_TOKEN_<TARGET>");
      else {
        this.log(
          table(
            ["TARGET", "HOST", "SERVICE", "SOURCE"],
            targets.map((t) => [
              t.name,
              t.host ?? "-",
              t.serviceId ?? pc.yellow(t.problem ? "unreachable" : "-"),
              t.source,
            ]),
          ),
        );
      }
      if (keychainError)
        this.log(
          pc.yellow(
            `keychain not usable (${keychainError}); showing targets from the environment and the local platform's token files only`,
          ),
        );
    }
    return { targets, ...(keychainError ? { keychainError } : {}) };
  }
}

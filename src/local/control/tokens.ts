import { writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { Credentials } from "../../credentials/credentials.js";
import { envVar } from "../../credentials/names.js";
import { redactor } from "../../credentials/redact.js";
import { UserError } from "../../errors.js";
import { ensureDir, type LocalPaths } from "../paths.js";

/** Where `svc local create-service` keeps a new service's token. */

export type TokenStorage =
  | { keychain: true; target: string }
  | { keychain: false; file: string; reason: string };

/**
 * Keeps a new service's API token as target `serviceId`: in the OS keychain when one is usable;
 * otherwise in a file only its owner can read (never printed), with the reason. svc reads that
 * file as the target's token (after the environment and the keychain), like a kubeconfig.
 */
export async function storeToken(paths: LocalPaths, serviceId: string, token: string): Promise<TokenStorage> {
  redactor.add(token);
  try {
    await new Credentials().save("target", serviceId, token);
    return { keychain: true, target: serviceId };
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    const file = join(ensureDir(paths.tokens), serviceId);
    writeFileSync(file, `${token}\n`, { mode: 0o600 });
    return { keychain: false, file, reason: error.message };
  }
}

/** Human lines describing where a token went. */
export function describeStorage(storage: TokenStorage): string[] {
  if (storage.keychain) return [`  token        in the OS keychain as target ${storage.target}`];
  const variable = envVar("target", basename(storage.file));
  return [
    `  token        in ${storage.file}, readable by you only (${storage.reason});`,
    `               svc uses it as target ${basename(storage.file)}; elsewhere: export ${variable}="$(cat ${storage.file})"`,
  ];
}

import { chmodSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { type Keychain, KeychainUnavailable, OsKeychain } from "./keychain.js";

/**
 * Where svc keeps its credentials on this machine: the OS keychain (default), or — opted into
 * per machine with `svc config set credential-store file`, for a box with no Secret Service — a
 * plain JSON file readable by its owner only, said on stderr each time a command uses it. Never a
 * silent fallback: without the opt-in, no keychain means the environment.
 */
export type CredentialStore = "keychain" | "file";

/** `$XDG_CONFIG_HOME/svc` (default `~/.config/svc`): svc's per-machine settings. */
export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CONFIG_HOME || join(env.HOME || homedir(), ".config"), "svc");
}

const configFile = (env: NodeJS.ProcessEnv) => join(configDir(env), "config.json");
export const credentialsFile = (env: NodeJS.ProcessEnv = process.env) =>
  join(configDir(env), "credentials.json");

function readConfig(env: NodeJS.ProcessEnv): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(readFileSync(configFile(env), "utf8"));
    return parsed && typeof parsed === "object" ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

export function credentialStore(env: NodeJS.ProcessEnv = process.env): CredentialStore {
  return readConfig(env).credentialStore === "file" ? "file" : "keychain";
}

export function setCredentialStore(store: CredentialStore, env: NodeJS.ProcessEnv = process.env): string {
  const file = configFile(env);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, `${JSON.stringify({ ...readConfig(env), credentialStore: store }, null, 2)}\n`, {
    mode: 0o600,
  });
  return file;
}

/** The store this machine is set to use. */
export function machineKeychain(env: NodeJS.ProcessEnv = process.env): Keychain {
  return credentialStore(env) === "file" ? new FileStore(credentialsFile(env)) : new OsKeychain();
}

let announced = false;

/** Credentials in a JSON file of mode 0600 in a directory of mode 0700; refused if others can read it. */
export class FileStore implements Keychain {
  readonly source = "file" as const;

  constructor(readonly path: string) {}

  async get(account: string): Promise<string | undefined> {
    return this.read()[account];
  }

  async set(account: string, value: string): Promise<void> {
    this.write({ ...this.read(), [account]: value });
  }

  async delete(account: string): Promise<boolean> {
    const all = this.read();
    if (!(account in all)) return false;
    delete all[account];
    this.write(all);
    return true;
  }

  async accounts(): Promise<string[]> {
    return Object.keys(this.read()).sort();
  }

  private read(): Record<string, string> {
    this.announce();
    let mode: number;
    try {
      mode = statSync(this.path).mode;
    } catch {
      return {};
    }
    if ((mode & 0o077) !== 0) {
      throw new KeychainUnavailable(
        `${this.path} can be read by others (mode ${(mode & 0o777).toString(8)}): run chmod 600 ${this.path}`,
      );
    }
    try {
      const parsed: unknown = JSON.parse(readFileSync(this.path, "utf8"));
      return parsed && typeof parsed === "object" ? (parsed as Record<string, string>) : {};
    } catch (error) {
      throw new KeychainUnavailable(
        `${this.path} is not svc's credentials file (${(error as Error).message})`,
      );
    }
  }

  private write(all: Record<string, string>): void {
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    const temporary = `${this.path}.${process.pid}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(all, null, 2)}\n`, { mode: 0o600 });
    chmodSync(temporary, 0o600);
    renameSync(temporary, this.path);
  }

  /** Once per command: where the credentials are, and that it is a plain file. */
  private announce(): void {
    if (announced) return;
    announced = true;
    process.stderr.write(
      `svc: credentials are kept in ${this.path}, a plain file readable by you only, not a keychain (svc config set credential-store keychain to stop)\n`,
    );
  }
}

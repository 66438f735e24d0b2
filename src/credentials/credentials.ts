import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { ExitCode, UserError } from "../errors.js";
import { localPaths } from "../local/paths.js";
import type { RegistryLogin } from "../platform/model.js";
import { decodeToken, type ServiceToken, TokenFormatError } from "../platform/token.js";
import { byText } from "../util/sorted.js";
import { machineKeychain } from "./file-store.js";
import { type Keychain, KeychainUnavailable } from "./keychain.js";
import { account, type CredentialKind, envEntries, envVar } from "./names.js";
import { redactor } from "./redact.js";

/** `local-file`: a token `svc local` kept in its 0600 token file (no usable keychain then). */
export type CredentialSource = "env" | "keychain" | "file" | "local-file";

export interface Resolved<T> {
  value: T;
  source: CredentialSource;
}

export interface ListedCredential {
  name: string;
  source: CredentialSource;
  /** For env entries: the variable that provides it. */
  variable?: string;
}

const WHAT: Record<CredentialKind, { noun: string; add: (name: string) => string }> = {
  target: { noun: "token for target", add: (n) => `svc login ${n}` },
  registry: { noun: "login for registry", add: (n) => `svc registry login ${n} -u USER --password-stdin` },
  secret: { noun: "secret", add: (n) => `svc secret set ${n}` },
};

/**
 * Every credential svc uses, resolved environment first (CI), then the OS keychain, then (tokens
 * only) the token files the local platform writes for the services it creates when no keychain is
 * usable, like a kubeconfig. Each value loaded is registered with the redactor before it is returned.
 */
export class Credentials {
  /** Set once the keychain has failed: every later lookup goes straight to the environment. */
  private keychainError: string | undefined;
  private readonly cache = new Map<string, Promise<Resolved<string>>>();
  private held: Promise<Map<string, string>> | undefined;

  constructor(
    private readonly env: NodeJS.ProcessEnv = process.env,
    readonly keychain: Keychain = machineKeychain(env),
  ) {}

  async token(target: string): Promise<Resolved<ServiceToken> & { raw: string }> {
    // Whatever a platform answers (container logs, env values, an error echoing a request) may
    // hold any secret svc keeps, not only those this command asked for: all are masked from here.
    const [found] = await Promise.all([this.lookup("target", target), this.heldSecrets()]);
    try {
      const token = decodeToken(found.value);
      redactor.add(token.secret);
      return { ...found, raw: found.value, value: token };
    } catch (error) {
      if (!(error instanceof TokenFormatError)) throw error;
      const where =
        found.source === "env"
          ? envVar("target", target)
          : found.source === "local-file"
            ? this.tokenFile(target)
            : `the keychain (svc login ${target})`;
      throw new UserError(`the token for target "${target}" in ${where} is malformed: ${error.message}`, {
        hint: "copy the token again exactly as the platform shows it",
        exitCode: ExitCode.invalidInput,
      });
    }
  }

  async registry(host: string): Promise<Resolved<RegistryLogin> | undefined> {
    let found: Resolved<string>;
    try {
      found = await this.lookup("registry", host);
    } catch (error) {
      if (error instanceof MissingCredential) return undefined;
      throw error;
    }
    const colon = found.value.indexOf(":");
    const login =
      (found.source === "keychain" || found.source === "file") && found.value.startsWith("{")
        ? (JSON.parse(found.value) as RegistryLogin)
        : { username: found.value.slice(0, colon), password: found.value.slice(colon + 1) };
    if (colon < 1 && found.source === "env") {
      throw new UserError(`${envVar("registry", host)} must be USER:PASSWORD`, {
        exitCode: ExitCode.invalidInput,
      });
    }
    redactor.add(login.password);
    // Docker-style auth carries base64 of "user:password" as a whole.
    redactor.add(`${login.username}:${login.password}`);
    return { ...found, value: login };
  }

  async secret(name: string): Promise<Resolved<string>> {
    return this.lookup("secret", name);
  }

  /**
   * The secrets svc holds (environment, keychain), by value: a value equal to one is referenced by
   * its name, never written (export, convert). Reading them registers each with the redactor.
   */
  heldSecrets(): Promise<Map<string, string>> {
    this.held ??= (async () => {
      const byValue = new Map<string, string>();
      const { entries } = await this.list("secret");
      for (const e of entries) {
        try {
          byValue.set((await this.secret(e.name)).value, e.name);
        } catch {
          // listed but unreadable: not a candidate
        }
      }
      return byValue;
    })();
    return this.held;
  }

  async save(kind: CredentialKind, name: string, value: string): Promise<void> {
    redactor.add(value);
    try {
      await this.keychain.set(account(kind, name), value);
    } catch (error) {
      throw this.unavailable(error, kind, name);
    }
  }

  async saveRegistry(host: string, login: RegistryLogin): Promise<void> {
    redactor.add(login.password);
    await this.save("registry", host, JSON.stringify(login));
  }

  /** Removes from the keychain; true when there was something to remove. */
  async remove(kind: CredentialKind, name: string): Promise<boolean> {
    try {
      return await this.keychain.delete(account(kind, name));
    } catch (error) {
      throw this.unavailable(error, kind, name);
    }
  }

  /** Names only, never values: env entries, then keychain entries, each sorted. */
  async list(kind: CredentialKind): Promise<{ entries: ListedCredential[]; keychainError?: string }> {
    const entries: ListedCredential[] = envEntries(kind, this.env).map((e) => ({
      name: e.name,
      source: "env" as const,
      variable: e.variable,
    }));
    let keychainError: string | undefined;
    try {
      const prefix = `${kind}:`;
      for (const a of await this.keychain.accounts()) {
        if (!a.startsWith(prefix)) continue;
        const name = a.slice(prefix.length);
        if (!entries.some((e) => e.name === name))
          entries.push({ name, source: this.keychain.source ?? "keychain" });
      }
    } catch (error) {
      if (!(error instanceof KeychainUnavailable)) throw error;
      keychainError = error.message;
    }
    if (kind === "target")
      for (const name of this.localTokenNames())
        if (!entries.some((e) => e.name === name)) entries.push({ name, source: "local-file" });
    return {
      entries: entries.sort((a, b) => byText(a.name, b.name)),
      ...(keychainError ? { keychainError } : {}),
    };
  }

  /** One lookup per credential per process: a plan over many services asks for the same ones often. */
  private lookup(kind: CredentialKind, name: string): Promise<Resolved<string>> {
    const key = `${kind}:${name}`;
    let found = this.cache.get(key);
    if (!found) {
      found = this.lookupOnce(kind, name);
      this.cache.set(key, found);
    }
    return found;
  }

  private async lookupOnce(kind: CredentialKind, name: string): Promise<Resolved<string>> {
    const variable = envVar(kind, name);
    const fromEnv = this.env[variable];
    if (fromEnv) {
      redactor.add(fromEnv);
      return { value: fromEnv, source: "env" };
    }
    let stored: string | undefined;
    if (this.keychainError === undefined) {
      try {
        stored = await this.keychain.get(account(kind, name));
      } catch (error) {
        if (!(error instanceof KeychainUnavailable)) throw error;
        this.keychainError = error.message;
      }
    }
    const keychainError = this.keychainError;
    if (stored) {
      redactor.add(stored);
      return { value: stored, source: this.keychain.source ?? "keychain" };
    }
    const fromFile = kind === "target" ? this.readTokenFile(name) : undefined;
    if (fromFile) return { value: fromFile, source: "local-file" };
    throw new MissingCredential(
      `no ${WHAT[kind].noun} "${name}"${keychainError ? ` (and no usable keychain: ${keychainError})` : ""}`,
      {
        hint: `${
          keychainError
            ? `set ${variable} in the environment${kind === "target" ? " (svc login needs a keychain)" : ""}`
            : `run \`${WHAT[kind].add(name)}\`, or set ${variable} in the environment`
        }${kind === "target" ? `; a service on the local platform: \`svc local create-service --name ${name}\` makes one and its token` : ""}`,
      },
    );
  }

  /** Where `svc local` keeps the token of target `name` when it had no keychain to put it in. */
  tokenFile(name: string): string {
    return join(localPaths(this.env).tokens, name);
  }

  private localTokenNames(): string[] {
    try {
      return readdirSync(localPaths(this.env).tokens).filter(isTargetName);
    } catch {
      return [];
    }
  }

  /** The token in the local token file, if there is one; refused if others may read the file. */
  private readTokenFile(name: string): string | undefined {
    if (!isTargetName(name)) return undefined;
    const file = this.tokenFile(name);
    let mode: number;
    try {
      mode = statSync(file).mode;
    } catch {
      return undefined;
    }
    if (process.platform !== "win32" && (mode & 0o077) !== 0)
      throw new UserError(
        `the token file ${file} can be read by other users (mode ${(mode & 0o777).toString(8)})`,
        {
          hint: `run \`chmod 600 ${file}\` (svc local writes it so), then try again`,
          exitCode: ExitCode.invalidInput,
        },
      );
    const token = readFileSync(file, "utf8").trim();
    if (!token) return undefined;
    redactor.add(token);
    return token;
  }

  private unavailable(error: unknown, kind: CredentialKind, name: string): Error {
    if (!(error instanceof KeychainUnavailable)) return error as Error;
    return new UserError(`no usable keychain on this machine: ${error.message}`, {
      hint: `svc never falls back to a plaintext file on its own; provide it as ${envVar(kind, name)} in the environment instead, start a keychain (on Linux: a Secret Service such as gnome-keyring in a D-Bus session), or opt this machine into svc's file store: svc config set credential-store file`,
    });
  }
}

export class MissingCredential extends UserError {}

/** Target names are file names in the token directory: no separators, no dot files. */
const isTargetName = (name: string): boolean => /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name);

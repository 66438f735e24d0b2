import { existsSync } from "node:fs";
import { join } from "node:path";
import type { AsyncEntry } from "@napi-rs/keyring";
import { KEYCHAIN_SERVICE } from "./names.js";

/** The native binding loads on first use: in CI the environment usually answers first. */
let binding: Promise<typeof import("@napi-rs/keyring")> | undefined;
const keyring = () => {
  binding ??= import("@napi-rs/keyring");
  return binding;
};

/** The OS keychain: macOS Keychain, Windows Credential Manager, the Secret Service on Linux. */
export interface Keychain {
  /** Where what it holds is said to come from: the OS keychain, or svc's opt-in file (file-store.ts). */
  readonly source?: "keychain" | "file";
  get(account: string): Promise<string | undefined>;
  set(account: string, value: string): Promise<void>;
  delete(account: string): Promise<boolean>;
  /** Accounts stored under svc's keychain service. */
  accounts(): Promise<string[]>;
}

/** No usable keychain on this machine (no Secret Service, locked, no session bus, ...). */
export class KeychainUnavailable extends Error {}

// On Linux, require the Secret Service: the library's fallback (the kernel keyring) forgets
// everything at logout, which would look like a silent loss of credentials.
const OPTIONS = { linux: { store: "secret-service" as const } };

export class OsKeychain implements Keychain {
  async get(account: string): Promise<string | undefined> {
    return (await this.call(async () => (await this.entry(account)).getPassword())) ?? undefined;
  }

  async set(account: string, value: string): Promise<void> {
    await this.call(async () => (await this.entry(account)).setPassword(value));
  }

  async delete(account: string): Promise<boolean> {
    return this.call(async () => (await this.entry(account)).deletePassword());
  }

  async accounts(): Promise<string[]> {
    const found = await this.call(async () => (await keyring()).findCredentialsAsync(KEYCHAIN_SERVICE));
    return found.map((c) => c.account).sort();
  }

  private async entry(account: string): Promise<AsyncEntry> {
    return new (await keyring()).AsyncEntry(KEYCHAIN_SERVICE, account, OPTIONS);
  }

  private async call<T>(action: () => Promise<T>): Promise<T> {
    const unreachable = noSessionBus();
    if (unreachable) throw new KeychainUnavailable(unreachable);
    try {
      return await action();
    } catch (error) {
      throw new KeychainUnavailable((error as Error).message.replace(/^Platform failure: /, ""));
    }
  }
}

/**
 * On Linux the Secret Service is reached over the session bus: with none (CI, containers, ssh
 * without a session) say so at once, without loading the native binding and trying to connect.
 */
function noSessionBus(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (process.platform !== "linux" || env.DBUS_SESSION_BUS_ADDRESS) return undefined;
  const runtime = env.XDG_RUNTIME_DIR;
  if (runtime && existsSync(join(runtime, "bus"))) return undefined;
  return "no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set), so no Secret Service";
}

import { type Keychain, KeychainUnavailable } from "../credentials/keychain.js";

/** An in-memory keychain; `broken` behaves like a machine without a usable one. */
export class FakeKeychain implements Keychain {
  readonly items = new Map<string, string>();
  constructor(private readonly broken = false) {}
  private check() {
    if (this.broken) throw new KeychainUnavailable("no Secret Service on the session bus");
  }
  async get(account: string) {
    this.check();
    return this.items.get(account);
  }
  async set(account: string, value: string) {
    this.check();
    this.items.set(account, value);
  }
  async delete(account: string) {
    this.check();
    return this.items.delete(account);
  }
  async accounts() {
    this.check();
    return [...this.items.keys()].sort();
  }
}

import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeToken } from "../platform/token.js";
import { FakeKeychain } from "../test-support/fake-keychain.js";
import { Credentials, MissingCredential } from "./credentials.js";
import { envVar } from "./names.js";
import { Redactor, redactor } from "./redact.js";

const token = encodeToken({ host: "https://node.example.net:8443", secret: "s3cr3t-value" });

describe("credential names", () => {
  it("maps names to upper-case environment variables", () => {
    expect(envVar("target", "shop-prod")).toBe("SVC_TOKEN_SHOP_PROD");
    expect(envVar("registry", "ghcr.io")).toBe("SVC_REGISTRY_GHCR_IO");
    expect(envVar("registry", "127.0.0.1:5000")).toBe("SVC_REGISTRY_127_0_0_1_5000");
    expect(envVar("secret", "shop-db.password")).toBe("SVC_SECRET_SHOP_DB_PASSWORD");
  });
});

describe("Credentials", () => {
  it("prefers the environment over the keychain", async () => {
    const keychain = new FakeKeychain();
    await keychain.set(
      "target:shop",
      encodeToken({ host: "http://keychain.test:1", secret: "from-keychain" }),
    );
    const fromKeychain = await new Credentials({}, keychain).token("shop");
    expect(fromKeychain.source).toBe("keychain");
    expect(fromKeychain.value).toEqual({ host: "http://keychain.test:1", secret: "from-keychain" });
    const fromEnv = await new Credentials({ SVC_TOKEN_SHOP: token }, keychain).token("shop");
    expect(fromEnv.source).toBe("env");
    expect(fromEnv.value.secret).toBe("s3cr3t-value");
  });

  it("finds a target's token in the local platform's token file after env and keychain, only if private", async () => {
    const home = mkdtempSync(join(tmpdir(), "svc-tokens-"));
    const tokens = join(home, "local", "tokens");
    mkdirSync(tokens, { recursive: true });
    const file = join(tokens, "local");
    writeFileSync(file, `${token}\n`, { mode: 0o600 });
    const env = { SVC_HOME: home };
    const found = await new Credentials(env, new FakeKeychain(true)).token("local");
    expect(found.source).toBe("local-file");
    expect(found.value.secret).toBe("s3cr3t-value");
    expect((await new Credentials(env, new FakeKeychain(true)).list("target")).entries).toEqual([
      { name: "local", source: "local-file" },
    ]);
    // The keychain and the environment come first.
    const keychain = new FakeKeychain();
    await keychain.set("target:local", encodeToken({ host: "http://keychain.test:1", secret: "k" }));
    expect((await new Credentials(env, keychain).token("local")).source).toBe("keychain");
    // A file others may read is refused, with the fix.
    chmodSync(file, 0o644);
    const refused = await new Credentials(env, new FakeKeychain(true)).token("local").catch((e: Error) => e);
    expect(refused).toBeInstanceOf(Error);
    expect((refused as Error).message).toBe(`the token file ${file} can be read by other users (mode 644)`);
    // Names that are not file names never reach the file system.
    await expect(new Credentials(env, new FakeKeychain(true)).token("../local")).rejects.toThrow(
      MissingCredential,
    );
  });

  it("names both ways to provide a missing credential", async () => {
    const error = await new Credentials({}, new FakeKeychain()).token("shop-prod").catch((e) => e);
    expect(error).toBeInstanceOf(MissingCredential);
    expect(error.message).toBe('no token for target "shop-prod"');
    expect(error.options.hint).toBe(
      "run `svc login shop-prod`, or set SVC_TOKEN_SHOP_PROD in the environment; a service on the local platform: `svc local create-service --name shop-prod` makes one and its token",
    );
    const headless = await new Credentials({}, new FakeKeychain(true)).token("shop-prod").catch((e) => e);
    expect(headless.options.hint).toBe(
      "set SVC_TOKEN_SHOP_PROD in the environment (svc login needs a keychain); a service on the local platform: `svc local create-service --name shop-prod` makes one and its token",
    );
  });

  it("says when there is no usable keychain and points to the environment", async () => {
    const creds = new Credentials({}, new FakeKeychain(true));
    const error = await creds.secret("db").catch((e) => e);
    expect(error.message).toBe(
      'no secret "db" (and no usable keychain: no Secret Service on the session bus)',
    );
    expect(error.options.hint).toBe("set SVC_SECRET_DB in the environment");
    const saving = await creds.save("secret", "db", "value-1").catch((e) => e);
    expect(saving.message).toMatch(/^no usable keychain on this machine/);
    expect(saving.options.hint).toContain("never falls back to a plaintext file");
    expect(saving.options.hint).toContain("SVC_SECRET_DB");
    expect(
      (await new Credentials({ SVC_SECRET_DB: "from-env" }, new FakeKeychain(true)).secret("db")).value,
    ).toBe("from-env");
  });

  it("refuses a malformed token, naming where it came from", async () => {
    const error = await new Credentials({ SVC_TOKEN_SHOP: "not base58 0OIl" }, new FakeKeychain())
      .token("shop")
      .catch((e) => e);
    expect(error.message).toBe(
      'the token for target "shop" in SVC_TOKEN_SHOP is malformed: the token is not base58 text as the platform shows it',
    );
  });

  it("reads registry logins from USER:PASSWORD in the environment or JSON in the keychain", async () => {
    const keychain = new FakeKeychain();
    const creds = new Credentials({ SVC_REGISTRY_GHCR_IO: "octocat:p:w" }, keychain);
    expect((await creds.registry("ghcr.io"))?.value).toEqual({ username: "octocat", password: "p:w" });
    await creds.saveRegistry("quay.io", { username: "bot", password: "pw-9" });
    expect((await creds.registry("quay.io"))?.value).toEqual({ username: "bot", password: "pw-9" });
    expect(await creds.registry("docker.io")).toBeUndefined();
  });

  it("lists names from both sources, env first per name, never values", async () => {
    const keychain = new FakeKeychain();
    const creds = new Credentials({ SVC_SECRET_API_KEY: "v1" }, keychain);
    await creds.save("secret", "db-pass", "v2");
    await creds.save("secret", "api-key", "v3");
    await creds.save("target", "local", token);
    const { entries } = await creds.list("secret");
    expect(entries).toEqual([
      { name: "api-key", source: "env", variable: "SVC_SECRET_API_KEY" },
      { name: "db-pass", source: "keychain" },
    ]);
    expect(JSON.stringify(entries)).not.toMatch(/v1|v2|v3/);
  });

  it("registers every value it loads with the redactor", async () => {
    await new Credentials({ SVC_SECRET_LOADED: "loaded-secret-value" }, new FakeKeychain()).secret("loaded");
    expect(redactor.redact("x loaded-secret-value y")).toBe("x *** y");
  });
});

describe("Redactor", () => {
  it("masks every known secret, including JSON-escaped forms, longest first", () => {
    const r = new Redactor();
    r.add("abcd");
    r.add("abcdef");
    r.add('q"uote');
    expect(r.redact("abcdef abcd")).toBe("*** ***");
    expect(r.redact(JSON.stringify({ v: 'q"uote' }))).toBe('{"v":"***"}');
    expect(r.redact("nothing here")).toBe("nothing here");
  });

  it("masks the encodings svc sends secrets in: base64 (with or without padding), base64url, URL-encoded", () => {
    const r = new Redactor();
    const secret = "p@ss/w+rd?1";
    r.add(secret);
    for (const form of [
      Buffer.from(secret).toString("base64"),
      Buffer.from(secret).toString("base64").replace(/=+$/, ""),
      Buffer.from(secret).toString("base64url"),
      encodeURIComponent(secret),
    ]) {
      expect(r.redact(`header: ${form}; `)).toBe("header: ***; ");
    }
  });

  it("masks a secret inside a longer base64 text (an echoed request body) at every byte alignment", () => {
    const secret = 'pw-"9f/+ü&=%x';
    const r = new Redactor();
    r.add(secret);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ maxLength: 40 }), (before, after) => {
        const body = Buffer.concat([before, Buffer.from(secret), after]);
        for (const encoding of ["base64", "base64url"] as const) {
          const out = r.redact(`echo: ${body.toString(encoding)}`);
          expect(out).toContain("***");
          // What is left around the mask decodes to at most two bytes of the secret at each end.
          const decoded = out
            .split("***")
            .map((part) => Buffer.from(part.replace(/^echo: /, ""), encoding).toString("latin1"));
          for (const part of decoded) expect(part).not.toContain(secret.slice(2, -2));
        }
      }),
      { numRuns: 300 },
    );
  });

  it("is seeded from svc's credentials in the environment, tokens' secrets and registry passwords too", () => {
    const r = new Redactor();
    r.seedFromEnvironment(
      {
        SVC_TOKEN_PROD: "TOKEN-abcdef",
        SVC_REGISTRY_GHCR_IO: "me:reg-pass-123",
        SVC_SECRET_DB: "db-pass-456",
        HOME: "/home/someone",
      },
      (token) => (token === "TOKEN-abcdef" ? "inner-secret-789" : undefined),
    );
    const text = "TOKEN-abcdef inner-secret-789 reg-pass-123 db-pass-456 /home/someone";
    expect(r.redact(text)).toBe("*** *** *** *** /home/someone");
  });

  it("ignores values too short to be secrets", () => {
    const r = new Redactor();
    r.add("ab");
    expect(r.redact("ab ab")).toBe("ab ab");
  });
});

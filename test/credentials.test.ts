import { chmodSync, existsSync, mkdirSync, mkdtempSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningPlatform } from "../src/local/server/start.js";
import { decodeToken, encodeToken } from "../src/platform/token.js";
import { type CliResult, svc, svcAsync } from "./support/cli.js";
import { engineAvailable, ensureExampleImages } from "./support/engine.js";
import { filesBelow } from "./support/files.js";
import { keyringAvailable, startKeyring, type TestKeyring } from "./support/keyring.js";
import { createService, startTestPlatform } from "./support/local-platform.js";
import { expectMatchesSchema } from "./support/schemas.js";

const ready = (await engineAvailable("the credentials suite")) && keyringAvailable("the credentials suite");

describe.skipIf(!ready)("credentials in a real Secret Service", () => {
  let platform: RunningPlatform & { home: string };
  let keyring: TestKeyring;
  let token: string;
  let serviceId: string;
  const outputs: CliResult[] = [];
  const REGISTRY_PASSWORD = "registry-pw-7c1e2f";
  const SECRET_VALUE = "db-secret-value-93ab";
  const WRONG_SECRET = "wrong-secret-5d2a9e";

  /** svc with the test keychain and platform state; every result is kept for the leak scan. */
  const run = async (args: string[], input?: string, env: Record<string, string> = {}) => {
    const r = await svcAsync(args, {
      env: { ...keyring.env, SVC_HOME: platform.home, ...env },
      ...(input ? { input } : {}),
    });
    outputs.push(r);
    return r;
  };

  beforeAll(async () => {
    keyring = startKeyring();
    platform = await startTestPlatform();
    ({ token, id: serviceId } = await createService(platform, { units: 1 }));
  }, 60_000);
  afterAll(async () => {
    await platform?.close(true);
    keyring?.stop();
  });

  it("login verifies the token, stores it, and targets shows it from the keychain without the token", async () => {
    const login = await run(["login", "local"], token);
    expect(login.stderr).toBe("");
    expect(login.status).toBe(0);
    expect(login.stdout).toContain(
      `logged in to local: service ${serviceId} (ServicePending) at ${platform.info.apiUrl}`,
    );

    const targets = await run(["targets", "--json"]);
    expect(targets.status).toBe(0);
    expect(JSON.parse(targets.stdout).targets).toEqual([
      { name: "local", source: "keychain", host: platform.info.apiUrl, serviceId, status: "ServicePending" },
    ]);
    const human = await run(["targets"]);
    expect(human.stdout).toMatch(
      /TARGET\s+HOST\s+SERVICE\s+SOURCE\nlocal\s+http:\/\/127\.0\.0\.1:\d+\s+us-\w+\s+keychain/,
    );
  });

  it("the environment wins over the keychain", async () => {
    const targets = await run(["targets", "--json"], undefined, { SVC_TOKEN_LOCAL: token });
    expect(JSON.parse(targets.stdout).targets[0]).toMatchObject({ name: "local", source: "env", serviceId });
  });

  it("refuses a malformed token, a wrong secret and an unreachable host, saving nothing", async () => {
    const malformed = await run(["login", "bad"], "this is not a token");
    expect(malformed.status).toBe(3);
    expect(malformed.stderr).toContain("that token is malformed");

    const wrong = await run(
      ["login", "wrong"],
      encodeToken({ host: platform.info.apiUrl, secret: WRONG_SECRET }),
    );
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toContain("refused the token (401: missing or wrong secret)");

    const unreachable = await run(
      ["login", "gone"],
      encodeToken({ host: "http://127.0.0.1:65534", secret: WRONG_SECRET }),
    );
    expect(unreachable.status).toBe(1);
    expect(unreachable.stderr).toContain("not saved: cannot reach http://127.0.0.1:65534: ECONNREFUSED");

    const names = JSON.parse((await run(["targets", "--json"])).stdout).targets.map(
      (t: { name: string }) => t.name,
    );
    expect(names).toEqual(["local"]);
  });

  it("round-trips registry logins and secrets, listing names only", async () => {
    expect(
      (await run(["registry", "login", "127.0.0.1:5000", "-u", "bot", "--password-stdin"], REGISTRY_PASSWORD))
        .status,
    ).toBe(0);
    expect((await run(["secret", "set", "shop-db-password"], SECRET_VALUE)).status).toBe(0);
    const list = await run(["secret", "list", "--json"], undefined, { SVC_SECRET_FROM_CI: "ci-value-1234" });
    expect(JSON.parse(list.stdout).secrets).toEqual([
      { name: "from-ci", source: "env", variable: "SVC_SECRET_FROM_CI" },
      { name: "shop-db-password", source: "keychain" },
    ]);
    expect((await run(["secret", "list"])).stdout).toMatch(/SECRET\s+SOURCE\nshop-db-password\s+keychain/);

    expect((await run(["secret", "rm", "shop-db-password"])).stdout).toContain(
      "removed secret shop-db-password",
    );
    expect((await run(["secret", "rm", "shop-db-password"])).stdout).toContain(
      "nothing to remove: no secret shop-db-password",
    );
    expect((await run(["registry", "logout", "127.0.0.1:5000"])).stdout).toContain(
      "removed the login for 127.0.0.1:5000",
    );
    expect((await run(["logout", "local"])).stdout).toContain("removed the token for target local");
    expect(JSON.parse((await run(["targets", "--json"])).stdout).targets).toEqual([]);
  });

  it("every credential command's --json matches its published schema, names only", async () => {
    const results = [
      await run(["login", "local", "--json"], token),
      await run(
        ["registry", "login", "127.0.0.1:5000", "-u", "bot", "--password-stdin", "--json"],
        REGISTRY_PASSWORD,
      ),
      await run(["secret", "set", "schema-check", "--json"], SECRET_VALUE),
      await run(["secret", "rm", "schema-check", "--json"]),
      await run(["registry", "logout", "127.0.0.1:5000", "--json"]),
      await run(["logout", "local", "--json"]),
    ];
    for (const r of results) {
      expect(r.status, r.stderr).toBe(0);
      expectMatchesSchema("credential-change-result.schema.json", JSON.parse(r.stdout));
      for (const secret of [token, REGISTRY_PASSWORD, SECRET_VALUE]) expect(r.stdout).not.toContain(secret);
    }
    expect(JSON.parse((results[0] as { stdout: string }).stdout)).toMatchObject({
      target: "local",
      storedIn: "keychain",
    });
    for (const list of [
      ["secret", "list", "--json"],
      ["registry", "list", "--json"],
    ])
      expectMatchesSchema("credential-list-result.schema.json", JSON.parse((await run(list)).stdout));
  });

  it("never lets a token, password or secret value reach output or files", async () => {
    const known = [
      token,
      decodeToken(token).secret,
      REGISTRY_PASSWORD,
      SECRET_VALUE,
      WRONG_SECRET,
      "ci-value-1234",
    ];
    expect(outputs.length).toBeGreaterThan(10);
    const leaks: string[] = [];
    for (const [i, r] of outputs.entries()) {
      for (const value of known) {
        if (r.stdout.includes(value) || r.stderr.includes(value))
          leaks.push(`command #${i} printed ${value}`);
      }
    }
    for (const file of [...filesBelow(platform.home), ...filesBelow(keyring.home)]) {
      for (const value of known) if (file.text.includes(value)) leaks.push(`${file.path} holds ${value}`);
    }
    expect(leaks).toEqual([]);
  });
});

describe("credentials with no usable keychain", () => {
  const env = { DBUS_SESSION_BUS_ADDRESS: "unix:path=/nonexistent/bus" };

  it("says so, points to the environment, and never writes a plaintext file", () => {
    const set = svc(["secret", "set", "db"], { env, input: "value-xyz-123" });
    expect(set.status).toBe(1);
    expect(set.stderr).toContain("Error: no usable keychain on this machine");
    expect(set.stderr).toContain("SVC_SECRET_DB");
    expect(set.stderr).not.toContain("value-xyz-123");
  });

  it("still resolves and lists what the environment provides", () => {
    const list = svc(["secret", "list", "--json"], { env: { ...env, SVC_SECRET_DB_PASS: "env-only-value" } });
    expect(list.status).toBe(0);
    const result = JSON.parse(list.stdout);
    expect(result.secrets).toEqual([{ name: "db-pass", source: "env", variable: "SVC_SECRET_DB_PASS" }]);
    expect(result.keychainError).toContain("/nonexistent/bus");
    expect(list.stdout).not.toContain("env-only-value");
  });
});

/**
 * The per-machine opt-in file store (svc config set credential-store file), on a machine with no
 * D-Bus: nothing reaches it before the opt-in; after it, login, secret, plan and apply use it from
 * new shells, and it is readable by its owner only.
 */
describe.skipIf(!(await engineAvailable("the file credential store suite")))(
  "the opt-in credentials file",
  () => {
    let platform: RunningPlatform & { home: string };
    beforeAll(async () => {
      await ensureExampleImages();
      platform = await startTestPlatform();
    }, 120_000);
    afterAll(async () => {
      await platform?.close(true);
    });

    it("is never written without the opt-in; with it, login, secret, plan and apply use it in new shells, 0600", async () => {
      const { token } = await createService(platform, { units: 1, name: "filebox" });
      const home = mkdtempSync(join(tmpdir(), "svc-file-store-"));
      const SECRET = "file-store-secret-6620";
      const env = {
        DBUS_SESSION_BUS_ADDRESS: "unix:path=/nonexistent/bus",
        XDG_CONFIG_HOME: join(home, "config"),
        SVC_HOME: join(home, "svc"),
      };
      const file = join(home, "config", "svc", "credentials.json");
      const run = (args: string[], input?: string) =>
        svcAsync(args, { cwd: join(home, "repo"), env, ...(input ? { input } : {}) });
      mkdirSync(join(home, "repo", ".git"), { recursive: true });
      writeFileSync(
        join(home, "repo", "service.yaml"),
        'apiVersion: svc/v1\nkind: Service\nmetadata: { name: boxed }\nspec:\n  target: filebox\n  containers:\n    - name: web\n      image: svc-examples/hello:1.0\n      command: [/bin/httpd, -f, -p, "8080", -h, /www]\n      env: { DB: { secret: db } }\n',
      );

      expect((await run(["secret", "set", "db"], SECRET)).status).toBe(1);
      const refused = await run(["login", "filebox"], token);
      expect(refused.status).toBe(1);
      expect(refused.stderr).toContain("svc config set credential-store file");
      expect(existsSync(file)).toBe(false);
      for (const f of filesBelow(home)) expect(f.text, f.path).not.toContain(SECRET);

      const optIn = await run(["config", "set", "credential-store", "file", "--json"]);
      expect(optIn.status).toBe(0);
      expectMatchesSchema("config-result.schema.json", JSON.parse(optIn.stdout));
      const login = await run(["login", "filebox", "--json"], token);
      expect(login.status, login.stderr).toBe(0);
      expect(JSON.parse(login.stdout).storedIn).toBe("file");
      expect(login.stderr).toContain(
        `svc: credentials are kept in ${file}, a plain file readable by you only`,
      );
      expect((await run(["secret", "set", "db"], SECRET)).status).toBe(0);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(statSync(join(home, "config", "svc")).mode & 0o777).toBe(0o700);

      const plan = await run(["plan", "--detailed-exitcode"]);
      expect(plan.status, plan.stdout + plan.stderr).toBe(2);
      expect(plan.stdout).toContain("+ boxed (target filebox) will be created");
      expect(plan.stderr).toContain("svc: credentials are kept in");
      expect(plan.stdout + plan.stderr).not.toContain(SECRET);
      const applied = await run(["apply", "--auto-approve", "--stable-for", "1"]);
      expect(applied.status, applied.stdout + applied.stderr).toBe(0);
      expect(applied.stdout).toContain("boxed (target filebox): applied");
      expect(applied.stdout + applied.stderr).not.toContain(SECRET);
      expect((await run(["plan", "--detailed-exitcode"])).status).toBe(0);
      const secrets = await run(["secret", "list", "--json"]);
      expectMatchesSchema("credential-list-result.schema.json", JSON.parse(secrets.stdout));
      expect(JSON.parse(secrets.stdout).secrets).toEqual([{ name: "db", source: "file" }]);
      const targets = await run(["targets", "--json"]);
      expectMatchesSchema("targets-result.schema.json", JSON.parse(targets.stdout));
      expect(JSON.parse(targets.stdout).targets[0]).toMatchObject({ name: "filebox", source: "file" });

      // Readable by others: refused, never read.
      chmodSync(file, 0o644);
      const loose = JSON.parse((await run(["secret", "list", "--json"])).stdout);
      expect(loose.secrets).toEqual([]);
      expect(loose.keychainError).toBe(`${file} can be read by others (mode 644): run chmod 600 ${file}`);
    }, 120_000);
  },
);

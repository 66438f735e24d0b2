import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { envVar } from "../src/credentials/names.js";
import type { RunningPlatform } from "../src/local/server/start.js";
import { decodeToken, encodeToken } from "../src/platform/token.js";
import { type CliResult, svcAsync } from "./support/cli.js";
import { engineAvailable, ensureExampleImages } from "./support/engine.js";
import { filesBelow } from "./support/files.js";
import { keyringAvailable, startKeyring, type TestKeyring } from "./support/keyring.js";
import { API_MODES, createService, startTestPlatform } from "./support/local-platform.js";
import { pushPrivate, registryAvailable, startRegistry, type TestRegistry } from "./support/registry.js";
import { startWebhook } from "./support/webhook.js";

/**
 * The leak suite: distinctive secrets in the environment, the keychain and registry logins, then
 * every command and error path — a platform that echoes requests back, hostile manifests, a wrong
 * token, an unreachable platform, --debug and --json — with every output and every file svc
 * wrote scanned for each secret in every encoding it could travel in.
 */
const ready =
  (await engineAvailable("the leak suite")) &&
  keyringAvailable("the leak suite") &&
  registryAvailable("the leak suite");

const JSON_ESCAPES: Record<string, string> = { b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };

/** Decoding, not encoding: the text with one layer of JSON string escapes undone. */
const unescapeJson = (text: string) =>
  text.replace(/\\(u[0-9a-fA-F]{4}|["\\/bfnrt])/g, (_m, e: string) =>
    e.length === 5 ? String.fromCharCode(Number.parseInt(e.slice(1), 16)) : (JSON_ESCAPES[e] ?? e),
  );
/** …with URL encoding undone. */
const urlDecode = (text: string) =>
  text.replace(/(?:%[0-9A-Fa-f]{2})+/g, (m) => Buffer.from(m.replaceAll("%", ""), "hex").toString("utf8"));
/** …with every base64 or base64url run decoded, at each of the four character offsets. */
const base64Decoded = (text: string) =>
  [0, 1, 2, 3].map((offset) =>
    (text.match(/[A-Za-z0-9+/_-]{12,}/g) ?? [])
      .map((run) => Buffer.from(run.slice(offset), "base64").toString("utf8"))
      .join("\n"),
  );

/**
 * What a reader could recover from a text: itself, and it with JSON escapes, URL encoding and
 * base64 undone, up to three layers deep (a request body, base64-encoded, inside a JSON error).
 * The scan decodes what was printed instead of encoding the secrets the way svc's redactor does,
 * so it does not share the redactor's blind spots.
 */
function views(text: string): string[] {
  const seen = new Set([text]);
  let layer = [text];
  for (let depth = 0; depth < 3; depth++) {
    const next: string[] = [];
    for (const t of layer)
      for (const v of [unescapeJson(t), urlDecode(t), ...base64Decoded(t)])
        if (!seen.has(v)) {
          seen.add(v);
          next.push(v);
        }
    layer = next;
  }
  return [...seen];
}

const manifest = (target: string, extra = "") => `apiVersion: svc/v1
kind: Service
metadata:
  name: leaky-${target}
  description: the leak suite
spec:
  target: ${target}
  containers:
    - name: web
      image: \${IMAGE}
      ports: [8080]
      env:
        DB_PASS: { secret: db-pass }
        API_KEY: { secret: api-key }
        PLAIN: visible
      # The container prints its secrets: svc logs must mask them.
      command: [/bin/sh, -c, 'echo "db=$$DB_PASS api=$$API_KEY"; exec /bin/httpd -f -p 8080 -h /www']
      files:
        - { source: ./app.conf, target: /etc/app.conf }
        - { source: ./creds.ini, target: /etc/creds.ini, sensitive: true }
${extra}`;

describe.skipIf(!ready).each(API_MODES)("no secret leaks (%s API)", (mode) => {
  const stamp = `${mode}${Date.now().toString(36)}`;
  // Characters that every encoding changes: quotes, slashes, plus, ampersand, percent, non-ASCII.
  const REGISTRY_PASSWORD = `Rg"registry-pw/+ü&=%\\${stamp}`;
  const KEYCHAIN_SECRET = `Kc"keychain-db/+ü&=%\\${stamp}`;
  const ENV_SECRET = `Ev"env-api/+ü&=%\\${stamp}`;
  const CHANGED_SECRET = `Ch"changed-db/+ü&=%\\${stamp}`;
  const WRONG_SECRET = `wrong-secret-${stamp}`;
  const FILE_SECRET = `Fl"sensitive-file/+ü&=%\\${stamp}`;

  let keyring: TestKeyring;
  let registry: TestRegistry;
  let clean: RunningPlatform & { home: string };
  let echo: RunningPlatform & { home: string };
  let image: string;
  let cleanToken: string;
  let echoToken: string;
  let home: string;
  let repo: string;
  let outside: string;
  const outputs: { args: string[]; result: CliResult }[] = [];

  /** svc with the test keychain and its own SVC_HOME; every result is kept for the scan. */
  const run = async (args: string[], options: { input?: string; env?: Record<string, string> } = {}) => {
    const result = await svcAsync(args, {
      cwd: repo,
      env: { ...keyring.env, SVC_HOME: home, IMAGE: image, ...options.env },
      ...(options.input !== undefined ? { input: options.input } : {}),
    });
    outputs.push({ args, result });
    return result;
  };
  /** The environment that reaches the echoing platform: token, registry login and secret from env. */
  const echoEnv = () => ({
    SVC_TOKEN_ECHO: echoToken,
    [envVar("registry", registry.host)]: `${registry.username}:${REGISTRY_PASSWORD}`,
    SVC_SECRET_DB_PASS: KEYCHAIN_SECRET,
    SVC_SECRET_API_KEY: ENV_SECRET,
  });

  beforeAll(async () => {
    await ensureExampleImages();
    keyring = startKeyring();
    const pool = Number(process.env.VITEST_POOL_ID ?? 1);
    registry = await startRegistry(5300 + pool * 2 + API_MODES.indexOf(mode), REGISTRY_PASSWORD);
    image = await pushPrivate(registry, "svc-examples/hello:1.0", `leak/hello-${stamp}:1.0`);
    clean = await startTestPlatform({ api: mode });
    echo = await startTestPlatform({ api: mode, faults: { echoRate: 1 } });
    cleanToken = (await createService(clean, { units: 1 })).token;
    echoToken = (await createService(echo, { units: 1 })).token;
    home = mkdtempSync(join(tmpdir(), "svc-leak-home-"));
    repo = mkdtempSync(join(tmpdir(), "svc-leak-repo-"));
    writeFileSync(join(repo, "app.conf"), "mode=test\n");
    writeFileSync(join(repo, "creds.ini"), `[db]\npassword = ${FILE_SECRET}\n`);
    writeFileSync(join(repo, "service.yaml"), manifest("leak"));
    // Outside the repository: a file holding a secret a hostile manifest tries to read.
    outside = mkdtempSync(join(tmpdir(), "svc-leak-outside-"));
    writeFileSync(join(outside, "stolen.txt"), `${ENV_SECRET}\n`);
  }, 180_000);
  afterAll(async () => {
    await clean?.close(true);
    await echo?.close(true);
    registry?.stop();
    keyring?.stop();
  });

  it("stores credentials in the keychain and lists them by name only", async () => {
    expect((await run(["login", "leak"], { input: cleanToken })).status).toBe(0);
    const login = await run(
      ["registry", "login", registry.host, "-u", registry.username, "--password-stdin"],
      {
        input: REGISTRY_PASSWORD,
      },
    );
    expect(login.stderr).toBe("");
    expect((await run(["secret", "set", "db-pass"], { input: KEYCHAIN_SECRET })).status).toBe(0);
    for (const args of [
      ["targets"],
      ["targets", "--json"],
      ["registry", "list", "--json"],
      ["secret", "list"],
    ]) {
      const r = await run(args, { env: { SVC_SECRET_API_KEY: ENV_SECRET } });
      expect(r.status, `${args.join(" ")}: ${r.stderr}`).toBe(0);
    }
  }, 60_000);

  it("validates, plans in every format, applies a private image with secrets, and runs day-two commands", async () => {
    const env = { SVC_SECRET_API_KEY: ENV_SECRET };
    expect((await run(["validate"], { env })).status).toBe(0);
    expect((await run(["validate", "--json"], { env })).status).toBe(0);
    for (const format of ["human", "json", "markdown", "github"])
      expect((await run(["plan", "--format", format, "--debug"], { env })).status).toBe(0);
    expect((await run(["plan", "--out", join(home, "saved.plan")], { env })).status).toBe(0);
    const applied = await run(["apply", "--auto-approve", "--debug"], { env });
    expect(applied.stderr).toBe("");
    expect(applied.status).toBe(0);
    expect((await run(["plan", "--detailed-exitcode"], { env })).status).toBe(0);

    // The container printed both secrets: svc logs shows them masked.
    const logs = await run(["logs", "leak", "web"], { env });
    expect(logs.stdout).toMatch(/db=\*\*\* api=\*\*\*/);
    for (const args of [
      ["status", "leak"],
      ["status", "leak", "--json"],
      ["top", "leak"],
    ]) {
      const r = await run(args, { env });
      expect(r.status, `${args.join(" ")}: ${r.stderr}`).toBe(0);
    }
    // Notices are shown only to the buying wallet by real providers.
    const events = await run(["events", "leak"], { env });
    if (mode === "real") expect(events.stderr).toContain("svc events is unavailable");
    else expect(events.status).toBe(0);
    expect((await run(["services", "--json"], { env })).status).toBe(0);
    expect((await run(["export", "leak", "-o", join(home, "export", "service.yaml")], { env })).status).toBe(
      0,
    );
    expect(readFileSync(join(home, "export", "service.yaml"), "utf8")).toMatch(
      /DB_PASS:\s*\n?\s*secret: db-pass/,
    );
  }, 240_000);

  it("shows a changed secret and a secret turned plain without either value", async () => {
    expect((await run(["secret", "set", "db-pass"], { input: CHANGED_SECRET })).status).toBe(0);
    const env = { SVC_SECRET_API_KEY: ENV_SECRET };
    const changed = await run(["plan", "--format", "json"], { env });
    expect(changed.status).toBe(0);
    expect(changed.stdout).toContain("(sensitive)");
    // The secret becomes a plain value: the old one is not shown.
    writeFileSync(
      join(repo, "plain.yaml"),
      manifest("leak").replace("API_KEY: { secret: api-key }", `API_KEY: now-plain-${stamp}`),
    );
    for (const format of ["human", "markdown", "json"]) {
      const r = await run(["plan", "-f", "plain.yaml", "--format", format], { env });
      expect(r.status).toBe(0);
      expect(r.stdout).toContain(`now-plain-${stamp}`);
      expect(r.stdout).toContain("(sensitive)");
    }
  }, 60_000);

  it("restores after a failed check, lists the history and rolls back, printing no secret on the way", async () => {
    const env = { SVC_SECRET_API_KEY: ENV_SECRET };
    const git = (...args: string[]) => execFileSync("git", args, { cwd: repo, encoding: "utf8" });
    git("init", "-q", "-b", "main");
    git("-c", "user.name=Leak", "-c", "user.email=leak@example.test", "add", "-A");
    git("-c", "user.name=Leak", "-c", "user.email=leak@example.test", "commit", "-q", "-m", "leaky");
    // The live service holds the old db-pass; this change sends the new one, then its check fails
    // and the restore sends the old one back. The check prints every SVC_ variable it was given.
    writeFileSync(
      join(repo, "atomic.yaml"),
      manifest("leak").replace(
        "      ports: [8080]\n",
        '      ports: [8080]\n      verify: [{ run: "env | grep ^SVC_ | sort; exit 1" }]\n',
      ),
    );
    // Told to a webhook (one payload per apply) and written with --report: both scanned below.
    const hook = await startWebhook();
    const { received: hooked, url: hookUrl } = hook;
    for (const extra of [[], ["--json"]]) {
      const r = await run(
        [
          "apply",
          "-f",
          "atomic.yaml",
          "--auto-approve",
          "--atomic",
          "--stable-for",
          "1",
          "--notify",
          hookUrl,
          "--report",
          join(home, `report${extra.length}.json`),
          ...extra,
        ],
        { env },
      );
      expect(r.status, r.stdout + r.stderr).toBe(7);
      expect(r.stdout).toContain("SVC_TARGET=leak");
      expect(r.stdout).not.toContain("SVC_SECRET_");
    }
    hook.close();
    expect(hooked).toHaveLength(2);
    for (const body of hooked) {
      expect(JSON.parse(body).exitCode).toBe(7);
      outputs.push({ args: ["--notify", "payload"], result: { status: 0, stdout: body, stderr: "" } });
    }
    const history = await run(["history", "--json"], { env });
    expect(history.status, history.stderr).toBe(0);
    expect((await run(["history"], { env })).status).toBe(0);
    const rollback = await run(["rollback", "--to", "HEAD", "--auto-approve", "--debug"], { env });
    expect(rollback.status, rollback.stdout + rollback.stderr).toBe(0);
  }, 180_000);

  it("refuses hostile manifests without printing what they reach for", async () => {
    const env = { ...echoEnv(), COPY_OF_SECRET: ENV_SECRET };
    const hostile: Record<string, string> = {
      "token-label.yaml": manifest("leak").replace(
        "description: the leak suite",
        "description: ${SVC_TOKEN_ECHO}",
      ),
      "secret-label.yaml": manifest("leak").replace(
        "description: the leak suite",
        "description: $SVC_SECRET_API_KEY",
      ),
      "required-message.yaml": manifest("leak").replace(
        "description: the leak suite",
        `description: \${NOPE:?\${${envVar("registry", registry.host)}}}`,
      ),
      "proc.yaml": manifest("leak").replace("./app.conf", "/proc/self/environ"),
      "outside.yaml": manifest("leak").replace("./app.conf", join(outside, "stolen.txt")),
      "symlink.yaml": manifest("leak").replace("./app.conf", "./link.conf"),
    };
    symlinkSync(join(outside, "stolen.txt"), join(repo, "link.conf"));
    for (const [file, text] of Object.entries(hostile)) {
      writeFileSync(join(repo, file), text);
      for (const extra of [[], ["--json"], ["--debug"]]) {
        const r = await run(["validate", "-f", file, ...extra], { env });
        expect(r.status, `${file} ${extra}: ${r.stdout}${r.stderr}`).toBe(3);
      }
    }
    // A copy of a secret in an ordinary variable, and a file outside the repository the user allowed:
    // shown, but masked.
    writeFileSync(
      join(repo, "copy.yaml"),
      manifest("leak").replace("PLAIN: visible", "PLAIN: ${COPY_OF_SECRET}"),
    );
    const copy = await run(["plan", "-f", "copy.yaml"], { env });
    expect(copy.status).toBe(0);
    expect(copy.stdout).toContain("***");
    const allowed = await run(["plan", "-f", "outside.yaml", "--allow-outside", "--format", "json"], { env });
    expect(allowed.status).toBe(0);
    expect(allowed.stdout).toContain("***");
  }, 120_000);

  it("converts compose files without copying a secret svc holds or one that looks like it", async () => {
    const compose = join(repo, "compose");
    mkdirSync(compose);
    writeFileSync(
      join(compose, "docker-compose.yml"),
      `services:
  app:
    image: ${image}
    environment:
      DB_PASSWORD: "not-held-but-looks-secret-${stamp}"
      HARMLESS_NAME: ${JSON.stringify(ENV_SECRET)}
`,
    );
    const env = { SVC_SECRET_API_KEY: ENV_SECRET };
    const out = join(compose, "service.yaml");
    const r = await run(["convert", join(compose, "docker-compose.yml"), "-o", out], { env });
    expect(r.status, r.stderr).toBe(0);
    const written = readFileSync(out, "utf8");
    expect(written).toMatch(/HARMLESS_NAME:\s*\n\s*secret: api-key/);
    expect(written).not.toContain(`not-held-but-looks-secret-${stamp}`);
  }, 60_000);

  it("keeps secrets out of every answer a platform that echoes requests gives", async () => {
    writeFileSync(join(repo, "echo.yaml"), manifest("echo"));
    // Every call fails (500) without landing: svc waits out the settle time (3 s, more than the
    // platform's 1 s delay) before it sends once more, then fails.
    const env = { ...echoEnv(), SVC_SETTLE_TIMEOUT: "3" };
    expect((await run(["plan", "-f", "echo.yaml"], { env })).status).toBe(0);
    for (const extra of [[], ["--json"], ["--debug"]]) {
      const r = await run(["apply", "-f", "echo.yaml", "--auto-approve", ...extra], { env });
      expect(r.status).not.toBe(0);
      expect(`${r.stdout}${r.stderr}`).toContain("request was");
    }
    // A wrong token: the 401 echoes the headers it was sent.
    const wrong = encodeToken({ host: decodeToken(echoToken).host, secret: WRONG_SECRET });
    for (const extra of [[], ["--json"], ["--debug"]]) {
      const r = await run(["plan", "-f", "echo.yaml", ...extra], { env: { ...env, SVC_TOKEN_ECHO: wrong } });
      expect(r.status).not.toBe(0);
    }
    // An unreachable platform.
    const gone = encodeToken({ host: "http://127.0.0.1:9", secret: WRONG_SECRET });
    const unreachable = await run(["plan", "-f", "echo.yaml", "--debug"], {
      env: { ...env, SVC_TOKEN_ECHO: gone },
    });
    expect(unreachable.status).not.toBe(0);
  }, 180_000);

  it("no output and no file svc wrote holds a secret, in any encoding", () => {
    const secrets: Record<string, string> = {
      "keychain token": cleanToken,
      "keychain token's secret": decodeToken(cleanToken).secret,
      "env token": echoToken,
      "env token's secret": decodeToken(echoToken).secret,
      "wrong token's secret": WRONG_SECRET,
      "registry password": REGISTRY_PASSWORD,
      "registry login": `${registry.username}:${REGISTRY_PASSWORD}`,
      "keychain secret": KEYCHAIN_SECRET,
      "changed keychain secret": CHANGED_SECRET,
      "env secret": ENV_SECRET,
      "sensitive file's content": FILE_SECRET,
    };
    expect(outputs.length).toBeGreaterThan(40);
    const leaks: string[] = [];
    // Even two characters in from each end: a masked base64 text may leave a byte or two visible.
    const scan = (where: string, text: string) => {
      const recovered = views(text);
      for (const [what, secret] of Object.entries(secrets))
        if (recovered.some((v) => v.includes(secret.slice(2, -2)))) leaks.push(`${where}: ${what}`);
    };
    for (const { args, result } of outputs) {
      scan(`svc ${args.join(" ")} stdout`, result.stdout);
      scan(`svc ${args.join(" ")} stderr`, result.stderr);
    }
    // svc's own files (saved plan, export, state, apply reports), convert's result and the keychain's store; the
    // platforms' databases are the provider's side, which must hold env values to run containers.
    const converted = join(repo, "compose", "service.yaml");
    const files = [...filesBelow(home), ...filesBelow(keyring.home)];
    files.push({ path: converted, text: readFileSync(converted, "latin1") });
    expect(files.length).toBeGreaterThan(3);
    for (const f of files) scan(f.path, f.text);
    expect(leaks).toEqual([]);
  });
});

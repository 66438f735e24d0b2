import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { encodeToken } from "../src/platform/token.js";
import { atTerminal, closedPort, repoRoot, svc, svcAtTerminal } from "./support/cli.js";
import { expectMatchesSchema } from "./support/schemas.js";

const readJson = (path: string) => JSON.parse(readFileSync(join(repoRoot, path), "utf8"));

describe("svc validate", () => {
  it("accepts the examples, exit 0", () => {
    const r = svc(["validate", "examples/hello", "examples/shop"]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("✔ 2 services valid: hello, shop");
  });

  it("reports an unknown key at its line with a did-you-mean", () => {
    const r = svc(["validate", "test/fixtures/invalid/unknown-key"]);
    expect(r.status).toBe(3);
    expect(r.stdout).toContain(
      'test/fixtures/invalid/unknown-key/service.yaml:9:7  spec.containers[0].imgae  unknown field "imgae"\n    hint: did you mean "image"?',
    );
  });

  it("prints all problems of several services at once, sorted", () => {
    const r = svc(["validate", "test/fixtures/invalid"]);
    expect(r.status).toBe(3);
    const located = r.stdout.split("\n").filter((l) => l.startsWith("test/"));
    expect(located.length).toBeGreaterThanOrEqual(14);
    expect([...located].sort()).toEqual(located);
  });

  it("still exits 0 on warnings, printing them", () => {
    const dir = mkdtempSync(join(tmpdir(), "svc-cli-"));
    writeFileSync(
      join(dir, "service.yaml"),
      "apiVersion: svc/v1\nkind: Service\nmetadata: { name: w }\nspec:\n  target: local\n  containers: [{ name: a, image: nginx }]\n",
    );
    const r = svc(["validate"], { cwd: dir });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(
      'service.yaml:6:34  spec.containers[0].image  warning: image "nginx" has no tag',
    );
  });

  it("--json output validates against its published schema, valid or not", () => {
    for (const [args, status] of [
      [["validate", "examples", "--json"], 0],
      [["validate", "test/fixtures/invalid", "--json"], 3],
    ] as const) {
      const r = svc([...args]);
      expect(r.status).toBe(status);
      const result = JSON.parse(r.stdout);
      expectMatchesSchema("validate-result.schema.json", result);
      expect(result.valid).toBe(status === 0);
    }
  });

  it("takes --var over the environment and rejects a malformed one with exit 3", () => {
    const env = { SHOP_VERSION: "bad tag" };
    expect(svc(["validate", "examples/shop"], { env }).status).toBe(3);
    expect(svc(["validate", "examples/shop", "--var", "SHOP_VERSION=2.0"], { env }).status).toBe(0);
    const bad = svc(["validate", "examples/shop", "--var", "NOEQUALS"]);
    expect(bad.status).toBe(3);
    expect(bad.stderr).toContain('Error: --var "NOEQUALS" is not KEY=VALUE');
    expect(bad.stderr).not.toMatch(/\bat \w+ \(/); // no stack trace
  });

  it("an unknown flag is invalid input (3), never oclif's default 2", () => {
    const r = svc(["validate", "--nope"]);
    expect(r.status).toBe(3);
    expect(r.stderr).toContain("Nonexistent flag: --nope");
  });

  it("every flag error is invalid input (3), and JSON under --json", () => {
    const missing = svc(["validate", "-f"]);
    expect(missing.status).toBe(3);
    expect(missing.stderr).toContain("Flag --file expects a value");
    for (const args of [
      ["validate", "--nope", "--json"],
      ["validate", "-f", "--json"],
      ["plan", "--parallelism", "many", "--json"],
      ["apply", "--stable-for", "-1", "--json"],
    ]) {
      const r = svc(args);
      expect(r.status, args.join(" ")).toBe(3);
      const { error } = JSON.parse(r.stdout);
      expect(error).toMatchObject({ kind: "InvalidInput", exitCode: 3 });
      expect(error.message).toBeTruthy();
    }
  });

  it("what is not a regular file is refused at once (exit 3), and no manifest makes it swell", () => {
    const dir = mkdtempSync(join(tmpdir(), "svc-special-cli-"));
    const fifo = join(dir, "service.yaml");
    spawnSync("mkfifo", [fifo]);
    for (const args of [["-f", fifo], ["-f", "/dev/zero"], ["/dev/null"], ["-f", dir]]) {
      const r = spawnSync(process.execPath, [join(repoRoot, "bin/run.js"), "validate", ...args], {
        encoding: "utf8",
        timeout: 20_000,
      });
      expect(r.status, `validate ${args.join(" ")}: ${r.stderr}`).toBe(3);
      expect(r.stdout).toMatch(/is (a FIFO \(named pipe\)|a device|a directory), not a manifest file/);
    }
    // 1 MiB less a little of nested flow mappings: the parser would build them all (half a
    // gigabyte); refused before, it runs in a heap of 150 MB.
    const deep = join(dir, "deep.yaml");
    const levels = 149_000;
    writeFileSync(deep, `apiVersion: svc/v1\nmetadata: ${"{a: ".repeat(levels)}${"}".repeat(levels)}\n`);
    const r = spawnSync(
      process.execPath,
      ["--max-old-space-size=150", join(repoRoot, "bin/run.js"), "validate", "-f", deep],
      { encoding: "utf8", timeout: 60_000 },
    );
    expect(r.status, r.stderr).toBe(3);
    expect(r.stdout).toContain("nested more than 64 levels deep");
  });
});

describe("per-environment overrides", () => {
  it("merge containers by name: one env var overridden without restating the container; problems at the override's line", () => {
    const dir = mkdtempSync(join(tmpdir(), "svc-override-"));
    writeFileSync(
      join(dir, "prod.yaml"),
      "spec:\n  target: shop-prod\n  containers:\n    - name: api\n      env: { LOG_LEVEL: warn }\n",
    );
    writeFileSync(join(dir, "bad.yaml"), "spec:\n  containers:\n    - name: api\n      units: 3\n");
    const base = join(repoRoot, "examples/shop/service.yaml");
    const ok = svc(["validate", "-f", base, "-f", join(dir, "prod.yaml"), "--json"]);
    expect(ok.status, ok.stdout).toBe(0);
    expect(JSON.parse(ok.stdout).services).toEqual([
      {
        name: "shop",
        target: "shop-prod",
        files: ["examples/shop/service.yaml", join(dir, "prod.yaml")],
        // What a push must touch to concern this service (outside the working directory: absolute).
        inputs: [join(dir, "prod.yaml"), "examples/shop/httpd.conf", "examples/shop/service.yaml"],
      },
    ]);
    const bad = svc(["validate", "-f", base, "-f", join(dir, "bad.yaml")]);
    expect(bad.status).toBe(3);
    expect(bad.stdout).toContain(
      `${join(dir, "bad.yaml")}:4:14  spec.containers[1].units  must be one of 1, 2, 4, 8, 16`,
    );
  });
});

describe("svc init", () => {
  it("writes a starter that validates, and never overwrites without --force", () => {
    const repo = mkdtempSync(join(tmpdir(), "svc-init-"));
    mkdirSync(join(repo, ".git"));
    const dir = join(repo, "services", "My App");
    const init = svc(["init", dir, "--json"]);
    expect(init.status).toBe(0);
    expectMatchesSchema("init-result.schema.json", JSON.parse(init.stdout));
    expect(JSON.parse(init.stdout)).toMatchObject({ name: "my-app", target: "local" });
    const text = readFileSync(join(dir, "service.yaml"), "utf8");
    // The modeline points at the schema svc init put into the repository: it works for every
    // teammate's clone, offline, not only on the machine that wrote it.
    expect(text.split("\n")[0]).toBe("# yaml-language-server: $schema=../../.svc/service.schema.json");
    expect(readFileSync(join(repo, ".svc", "service.schema.json"), "utf8")).toBe(
      readFileSync(join(repoRoot, "schemas", "service.schema.json"), "utf8"),
    );
    expect(text).toContain("name: my-app");
    expect(svc(["validate", dir]).status).toBe(0);

    writeFileSync(join(dir, "service.yaml"), "mine");
    const again = svc(["init", dir]);
    expect(again.status).toBe(3);
    expect(again.stderr).toContain("already exists");
    expect(again.stderr).toContain("--force");
    expect(readFileSync(join(dir, "service.yaml"), "utf8")).toBe("mine");
    expect(svc(["init", dir, "--force", "--name", "api"]).status).toBe(0);
    expect(readFileSync(join(dir, "service.yaml"), "utf8")).toContain("name: api");
  });
});

describe("svc apply PLAN", () => {
  it.each([1, 2])(
    "refuses a plan saved by an older svc (format %i) with exit 4, saying what to do",
    (version) => {
      const file = join(mkdtempSync(join(tmpdir(), "svc-old-plan-")), "plan.json");
      writeFileSync(file, JSON.stringify({ formatVersion: version, services: [], diagnostics: [] }));
      const r = svc(["apply", file, "--auto-approve"]);
      expect(r.status).toBe(4);
      expect(r.stderr).toContain(
        `was saved by an older svc (plan format ${version}; this svc reads format 3)`,
      );
      expect(r.stderr).toContain("Try this: make a new plan with svc plan --out FILE and review it");
    },
  );
});

describe("reviewing: --expect-digest, svc show, --format markdown|github without a platform", () => {
  const invalid = () => {
    const dir = mkdtempSync(join(tmpdir(), "svc-review-"));
    writeFileSync(
      join(dir, "service.yaml"),
      "apiVersion: svc/v1\nkind: Service\nmetadata: { name: x }\nspec:\n  target: x\n  containers: [{ name: a, image: busybox:1, units: 3 }]\n",
    );
    return dir;
  };

  it("--expect-digest takes only a digest, and only with manifests (exit 3, nothing planned)", () => {
    const bad = svc(["apply", "examples/hello", "--expect-digest", "abc"]);
    expect(bad.status).toBe(3);
    expect(bad.stderr).toContain('--expect-digest "abc" is not a plan digest');
    expect(bad.stderr).toContain("sha256: then 64 hexadecimal digits");
    const file = join(mkdtempSync(join(tmpdir(), "svc-saved-")), "plan.json");
    writeFileSync(file, "{}");
    const saved = svc(["apply", file, "--expect-digest", `sha256:${"0".repeat(64)}`]);
    expect(saved.status).toBe(3);
    expect(saved.stderr).toContain("a saved plan is already exact");
  });

  it("invalid manifests still give a pull request a comment with its marker, and annotations on their line", () => {
    const dir = invalid();
    const md = svc(["plan", "--format", "markdown"], { cwd: dir });
    expect(md.status).toBe(3);
    expect(md.stdout.split("\n")[0]).toBe("<!-- svc-plan:dirs=. targets=* digest=none -->");
    expect(md.stdout).toContain(
      "| ❌ error | `service.yaml:6:52`<br>`spec.containers[0].units` | must be one of 1, 2, 4, 8, 16 |",
    );
    const github = svc(["plan", "--format", "github"], { cwd: dir });
    expect(github.status).toBe(3);
    expect(github.stdout).toMatch(
      /^::error file=service\.yaml,line=6,col=52,title=svc%3A spec\.containers\[0\]\.units::/m,
    );
    const validate = svc(["validate", "--format", "github"], { cwd: dir });
    expect(validate.status).toBe(3);
    expect(validate.stdout.split("\n")[0]).toBe(github.stdout.split("\n")[0]);
  });

  it("svc show prints a saved plan in every format, and refuses what is not one", () => {
    const dir = mkdtempSync(join(tmpdir(), "svc-show-"));
    const file = join(dir, "plan.json");
    const plan = JSON.parse(readFileSync(join(repoRoot, "test/golden/sensitive-file/plan.json"), "utf8"));
    writeFileSync(file, JSON.stringify(plan));
    const human = svc(["show", file]);
    expect(human.stderr).toBe("");
    expect(human.stdout).toContain("~ containers.web.files./etc/app.ini: (sensitive, changed)");
    expect(human.stdout).toContain(`Digest: ${plan.digest}`);
    const summary = join(dir, "summary.md");
    const github = svc(["show", file, "--format", "github"], { env: { GITHUB_STEP_SUMMARY: summary } });
    expect(github.status).toBe(0);
    expect(readFileSync(summary, "utf8")).toContain(`digest=${plan.digest} -->`);
    expect(JSON.parse(svc(["show", file, "--json"]).stdout).digest).toBe(plan.digest);
    writeFileSync(file, "[]");
    const wrong = svc(["show", file]);
    expect(wrong.status).toBe(3);
    expect(wrong.stderr).toContain("is not a saved plan of format 3");
  });
});

describe("svc --help, svc help, svc version, completion", () => {
  it("lists the commands, and topics with their own descriptions", () => {
    for (const args of [["--help"], ["help"]]) {
      const r = svc(args);
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/init\s+Write a commented starter service.yaml/);
      expect(r.stdout).toMatch(/validate\s+Check manifests offline/);
      expect(r.stdout).toMatch(/local\s+Run the platform on this machine/);
      expect(r.stdout).toMatch(/secret\s+Secret values for manifests/);
      expect(r.stdout).toMatch(/registry\s+Logins for private image registries/);
    }
  });

  it("svc help COMMAND shows that command's help", () => {
    const r = svc(["help", "plan"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("Show exactly what apply would change on the platform, and why.");
    expect(r.stdout).toContain("--detailed-exitcode");
    expect(svc(["help", "local", "up"]).stdout).toContain("$ svc local up");
  });

  it("svc version, also as JSON", () => {
    const pkg = readJson("package.json") as { version: string };
    const r = svc(["version"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`svc/${pkg.version} `);
    const json = JSON.parse(svc(["version", "--json"]).stdout);
    expectMatchesSchema("version-result.schema.json", json);
    expect(json).toMatchObject({
      cliVersion: `svc/${pkg.version}`,
      nodeVersion: process.version.replace(/^/, "node-"),
    });
  });

  it("completes commands, subcommands and flags in bash; sets up zsh", () => {
    const home = mkdtempSync(join(tmpdir(), "svc-complete-"));
    const env = { HOME: home, XDG_CACHE_HOME: join(home, "cache") };
    const setup = svc(["autocomplete", "script", "bash"], { env });
    expect(setup.status).toBe(0);
    expect(setup.stdout).toContain(join(home, "cache", "svc", "autocomplete", "bash_setup"));
    expect(svc(["autocomplete", "zsh"], { env }).stdout).toContain("svc autocomplete script zsh");
    const script = join(home, "cache", "svc", "autocomplete", "functions", "bash", "svc.bash");
    const complete = (line: string) => {
      const r = spawnSync(
        "bash",
        [
          "-c",
          `source "$0"; COMP_LINE="$1"; read -ra COMP_WORDS <<< "$1"; [[ "$1" == *" " ]] && COMP_WORDS+=(""); COMP_CWORD=$(( \${#COMP_WORDS[@]} - 1 )); _svc_autocomplete; echo "\${COMPREPLY[*]}"`,
          script,
          line,
        ],
        { encoding: "utf8" },
      );
      expect(r.stderr, line).toBe("");
      return r.stdout.trim().split(" ");
    };
    expect(complete("svc pl")).toEqual(["plan"]);
    expect(complete("svc local s")).toEqual(["status"]);
    expect(complete("svc plan --det")).toEqual(["--detailed-exitcode"]);
  });
});

describe("slow work at a terminal", () => {
  it("plan shows what it waits on in one status line, cleared before the result; none without a terminal", async () => {
    const closed = await closedPort();
    const host = `http://127.0.0.1:${closed}`;
    const dir = mkdtempSync(join(tmpdir(), "svc-tty-"));
    writeFileSync(
      join(dir, "service.yaml"),
      "apiVersion: svc/v1\nkind: Service\nmetadata: { name: x }\nspec:\n  target: x\n  containers: [{ name: a, image: busybox:1 }]\n",
    );
    const env = {
      ...process.env,
      NO_COLOR: "1",
      SVC_HOME: dir,
      SVC_TOKEN_X: encodeToken({ host, secret: "tty-secret-1" }),
      DBUS_SESSION_BUS_ADDRESS: "unix:path=/nonexistent",
    };
    const tty = await svcAtTerminal(["plan"], { cwd: dir, env });
    const waiting = `\r\x1b[K… waiting on ${host} (capabilities: ECONNREFUSED), retry 1/2`;
    expect(tty.stdout).toContain(waiting);
    expect(tty.stdout).toContain(`retry 2/2\r\x1b[K`);
    expect(tty.stdout).toContain(`target x: cannot reach ${host}: ECONNREFUSED`);
    const piped = svc(["plan"], { cwd: dir, env });
    expect(piped.status).toBe(1);
    expect(`${piped.stdout}${piped.stderr}`).not.toContain("waiting on");
  });
});

describe("a secret typed at a terminal", () => {
  it("is asked for with a hidden prompt and never shown", async () => {
    const typed = "tty-typed-secret-1";
    // `script` gives the command a pseudo-terminal; what is written to it is typed at the prompt.
    const child = spawn("script", atTerminal(["secret", "set", "tty-demo"]), {
      env: {
        ...process.env,
        NO_COLOR: "1",
        SVC_HOME: mkdtempSync(join(tmpdir(), "svc-prompt-")),
        // No keychain: the command stops after reading the value, saying so.
        DBUS_SESSION_BUS_ADDRESS: "unix:path=/nonexistent",
      },
    });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      if (!out.includes("Value of") && `${out}${chunk}`.includes("Value of")) child.stdin.write(`${typed}\r`);
      out += chunk.toString();
    });
    const status = await new Promise((resolve) => child.on("exit", resolve));
    expect(out).toContain(`Value of tty-demo: ${"*".repeat(typed.length)}`);
    expect(out).toContain("no usable keychain");
    expect(out).not.toContain("This is a bug");
    expect(out).not.toContain(typed);
    expect(status).toBe(1);
  });
});

describe("day-two commands against a platform that is down", () => {
  it("each says it cannot reach it, with a hint, exit 1 — never 'This is a bug'", async () => {
    const closed = await closedPort();
    const host = `http://127.0.0.1:${closed}`;
    const env = {
      SVC_HOME: mkdtempSync(join(tmpdir(), "svc-down-")),
      SVC_TOKEN_GONE: encodeToken({ host, secret: "down-secret-1" }),
      DBUS_SESSION_BUS_ADDRESS: "unix:path=/nonexistent",
    };
    for (const args of [
      ["status", "gone"],
      ["logs", "gone"],
      ["top", "gone"],
      ["events", "gone"],
      ["restart", "gone", "--yes"],
      ["pause", "gone", "--yes"],
      ["resume", "gone", "--yes"],
      ["export", "gone"],
    ]) {
      const r = svc(args, { env });
      expect(r.status, args.join(" ")).toBe(1);
      expect(r.stderr, args.join(" ")).toContain(`cannot reach ${host}`);
      expect(r.stderr, args.join(" ")).toContain("Try this: check the network and that the platform is up");
      expect(r.stderr + r.stdout).not.toContain("This is a bug");
    }
    for (const args of [["services"], ["targets"]]) {
      const r = svc(args, { env });
      expect(r.status, args.join(" ")).toBe(0);
      expect(r.stdout).toMatch(/unreachable/);
    }
  });
});

describe("mistyped commands, flags and values: did you mean, exit 3", () => {
  it("an unknown command names the nearest one", () => {
    for (const [typed, meant] of [
      ["pln", "svc plan"],
      ["local stats", "svc local status"],
      ["secrt list", "svc secret list"],
    ] as const) {
      const r = svc(typed.split(" "));
      expect(r.status, typed).toBe(3);
      expect(r.stderr).toBe(
        `Error: "${typed}" is not a svc command.\nDid you mean ${meant}?\nTry this: svc help (every command)\n`,
      );
    }
    expect(svc(["zzzz"]).stderr).not.toContain("Did you mean");
  });

  it("an unknown flag names the nearest flag of that command", () => {
    const r = svc(["plan", "--frmat", "json"]);
    expect(r.status).toBe(3);
    expect(r.stderr).toBe(
      "Error: Nonexistent flag: --frmat\nDid you mean --format?\nTry this: svc plan --help\n",
    );
  });

  it("a value not among a flag's options is invalid input too, with the option meant", () => {
    const r = svc(["plan", "--format", "md"]);
    expect(r.status).toBe(3);
    expect(r.stderr).toBe(
      "Error: Expected --format=md to be one of: human, markdown, github, json\nDid you mean --format markdown?\nTry this: svc plan --help\n",
    );
    expect(svc(["local", "up", "--api", "rea"]).stderr).toContain("Did you mean --api real?");
  });
});

describe("published schemas", () => {
  it("service.schema.json has an $id and a description on every property", () => {
    const schema = readJson("schemas/service.schema.json");
    expect(schema.$id).toMatch(/^https:\/\//);
    const missing: string[] = [];
    const walk = (node: unknown, path: string) => {
      if (typeof node !== "object" || node === null) return;
      const props = (node as { properties?: Record<string, { description?: string; $ref?: string }> })
        .properties;
      for (const [key, child] of Object.entries(props ?? {})) {
        if (!child.description && !child.$ref) missing.push(`${path}.${key}`);
      }
      for (const [key, child] of Object.entries(node)) walk(child, `${path}.${key}`);
    };
    walk(schema, "");
    expect(missing).toEqual([]);
  });
});

import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { docker } from "./engine.js";

export interface TestRegistry {
  host: string;
  username: string;
  password: string;
  stop(): void;
}

function installed(command: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** Whether Debian's docker-registry and htpasswd are here; in CI their absence fails the suite. */
export function registryAvailable(suite: string): boolean {
  const missing = ["docker-registry", "htpasswd"].filter((c) => !installed(c));
  if (missing.length === 0) return true;
  const message = `${suite} needs ${missing.join(" and ")} (apt-get install -y docker-registry apache2-utils)`;
  if (process.env.CI) throw new Error(message);
  console.warn(`skipping ${suite}: ${message}`);
  return false;
}

/** A private registry on loopback with htpasswd auth (the engine trusts 127.0.0.0/8 over HTTP). */
export async function startRegistry(port: number, password?: string): Promise<TestRegistry> {
  const dir = mkdtempSync(join(tmpdir(), "svc-registry-"));
  const username = "svc-test";
  password ??= `pw-${Math.random().toString(36).slice(2)}`;
  const htpasswd = execFileSync("htpasswd", ["-Bbn", username, password], { encoding: "utf8" });
  writeFileSync(join(dir, "htpasswd"), htpasswd);
  writeFileSync(
    join(dir, "config.yml"),
    `version: 0.1
log: { level: warn }
storage: { filesystem: { rootdirectory: ${dir}/data }, delete: { enabled: true } }
http: { addr: 127.0.0.1:${port} }
auth: { htpasswd: { realm: svc-test, path: ${dir}/htpasswd } }
`,
  );
  const child: ChildProcess = spawn("docker-registry", ["serve", join(dir, "config.yml")], {
    stdio: "ignore",
  });
  const host = `127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  // Ready when it accepts this login: another registry left on the port (a run killed midway)
  // would answer 401 as well, and then refuse every push.
  const basic = `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
  for (;;) {
    try {
      const r = await fetch(`http://${host}/v2/`, { headers: { authorization: basic } });
      if (r.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill();
      throw new Error(
        `docker-registry did not start on ${host}${child.exitCode !== null ? ` (it exited ${child.exitCode}: is the port taken by another registry?)` : ""}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { host, username, password, stop: () => child.kill() };
}

/** Pushes a local image into the registry under `name`, then removes it from the engine. */
export async function pushPrivate(registry: TestRegistry, source: string, name: string): Promise<string> {
  const [repo, tag] = name.split(":") as [string, string];
  const target = `${registry.host}/${repo}`;
  await docker.getImage(source).tag({ repo: target, tag });
  const stream = await docker.getImage(`${target}:${tag}`).push({
    authconfig: { username: registry.username, password: registry.password, serveraddress: registry.host },
  });
  await new Promise<void>((resolve, reject) =>
    docker.modem.followProgress(stream, (error: Error | null, events: { error?: string }[]) => {
      const failed = error?.message ?? events.find((e) => e.error)?.error;
      if (failed) reject(new Error(failed));
      else resolve();
    }),
  );
  await docker.getImage(`${target}:${tag}`).remove();
  return `${target}:${tag}`;
}

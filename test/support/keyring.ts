import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TestKeyring {
  /** Environment that points a process at this keyring (and an isolated HOME). */
  env: Record<string, string>;
  home: string;
  stop(): void;
}

function installed(command: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${command}`]).status === 0;
}

/** Whether a Secret Service can be started here; in CI its absence fails the suite. */
export function keyringAvailable(suite: string): boolean {
  const missing = ["dbus-daemon", "gnome-keyring-daemon"].filter((c) => !installed(c));
  if (missing.length === 0) return true;
  const message = `${suite} needs ${missing.join(" and ")} (apt-get install -y dbus gnome-keyring)`;
  if (process.env.CI) throw new Error(message);
  console.warn(`skipping ${suite}: ${message}`);
  return false;
}

/**
 * A real Secret Service for tests, as `dbus-run-session` + `gnome-keyring-daemon --unlock` give
 * one: a private session bus and an unlocked keyring in a fresh HOME, so no test touches the
 * user's own keychain.
 */
export function startKeyring(): TestKeyring {
  const home = mkdtempSync(join(tmpdir(), "svc-keyring-"));
  const runtime = join(home, "run");
  mkdirSync(runtime, { mode: 0o700 });
  const base = { HOME: home, XDG_RUNTIME_DIR: runtime, XDG_DATA_HOME: join(home, "data") };
  const bus = execFileSync("dbus-daemon", ["--session", "--fork", "--print-address=1", "--print-pid=1"], {
    encoding: "utf8",
    env: { ...process.env, ...base },
  })
    .trim()
    .split("\n");
  const [address, pid] = [bus[0] as string, Number(bus[1])];
  const env = { ...base, DBUS_SESSION_BUS_ADDRESS: address };
  execFileSync("gnome-keyring-daemon", ["--unlock", "--components=secrets", "--daemonize"], {
    input: "test-keyring-password",
    env: { ...process.env, ...env },
    stdio: ["pipe", "ignore", "ignore"],
  });
  return {
    env,
    home,
    stop() {
      // gnome-keyring-daemon leaves when its session bus goes away.
      try {
        process.kill(pid);
      } catch {
        // already gone
      }
    },
  };
}

import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Docker from "dockerode";

const docker = new Docker();

/**
 * Whether the Docker engine answers. In CI (CI=true) a missing engine fails the suite — it must
 * never pass by skipping; locally the suite is skipped with a message saying what to start.
 */
export async function engineAvailable(suite: string): Promise<boolean> {
  try {
    await docker.ping();
    return true;
  } catch (error) {
    if (process.env.CI) {
      throw new Error(`${suite} needs a Docker engine and none answers (${(error as Error).message})`);
    }
    console.warn(`skipping ${suite}: no Docker engine answers; start dockerd (or set DOCKER_HOST)`);
    return false;
  }
}

const EXAMPLE_IMAGES = ["svc-examples/hello", "svc-examples/shop-web", "svc-examples/shop-api"];

/** Builds the example images (offline, from busybox-static) unless the engine already has them. */
export async function ensureExampleImages(): Promise<void> {
  const have = await Promise.all(
    EXAMPLE_IMAGES.flatMap((repo) =>
      ["1.0", "2.0"].map((tag) =>
        docker
          .getImage(`${repo}:${tag}`)
          .inspect()
          .then(() => true)
          .catch(() => false),
      ),
    ),
  );
  if (have.every(Boolean)) return;
  const script = fileURLToPath(new URL("../../examples/build-images.sh", import.meta.url));
  execFileSync("bash", [script], { stdio: "inherit" });
}

export { docker };

/**
 * A build context at `dir` that needs no network: FROM scratch with Debian's static busybox,
 * serving `page` as its index on port 8080.
 */
export function writeBusyboxContext(dir: string, page: string): void {
  mkdirSync(join(dir, "www"), { recursive: true });
  copyFileSync("/bin/busybox", join(dir, "busybox"));
  writeFileSync(
    join(dir, "Dockerfile"),
    'FROM scratch\nCOPY busybox /bin/busybox\nCOPY www /www\nENTRYPOINT ["/bin/busybox"]\nCMD ["httpd", "-f", "-p", "8080", "-h", "/www"]\n',
  );
  writeFileSync(join(dir, "www", "index.html"), page);
}

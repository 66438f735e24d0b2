import { relative, resolve } from "node:path";
import type Docker from "dockerode";
import type { ServiceCredentials } from "../credentials/resolve.js";
import { ExitCode, UserError } from "../errors.js";
import type { ServiceSpec } from "../manifest/model.js";
import { parseImage } from "../platform/image.js";
import { BuildCache } from "./cache.js";
import { contextTag, hashContext } from "./context.js";
import { type BuildEvents, buildAndPush, engine, remoteDigest } from "./engine.js";
import type { PlannedBuild } from "./model.js";

/** One Docker engine per run, opened by the first service that needs it, and the build cache. */
export class Engine {
  private docker?: Promise<Docker>;
  private loaded?: BuildCache;
  get(): Promise<Docker> {
    this.docker ??= engine();
    return this.docker;
  }
  get cache(): BuildCache {
    this.loaded ??= BuildCache.load();
    return this.loaded;
  }
}

/**
 * Each built container's image: its context is hashed, and when the registry already holds
 * `repo:svc-<hash>` the container is deployed by that digest (nothing to build); otherwise the
 * plan builds it and deploys the tag's digest once pushed. A container that already runs the
 * digest svc remembers for that tag needs no question to the registry (nor the engine): an
 * unchanged service plans fast. Returns the spec with those images in place.
 */
export async function resolveBuilds(
  spec: ServiceSpec,
  loginFor: ServiceCredentials["loginFor"],
  engines: Engine,
  /** Container name → the image it runs now. */
  running: ReadonlyMap<string, string> = new Map(),
): Promise<{ spec: ServiceSpec; builds: PlannedBuild[] }> {
  if (!spec.containers.some((c) => c.build)) return { spec, builds: [] };
  const builds: PlannedBuild[] = [];
  const containers = [];
  for (const c of spec.containers) {
    if (!c.build) {
      containers.push(c);
      continue;
    }
    const { hash } = hashContext(c.build, engines.cache.files);
    // Validation refuses a digest on a built image: the name is the repository.
    const repository = parseImage(c.image).repository;
    const tag = `${repository}:${contextTag(hash)}`;
    const known = engines.cache.digest(tag);
    let digest: string | undefined;
    if (known && running.get(c.name) === `${repository}@${known}`) digest = known;
    else {
      digest = await remoteDigest(await engines.get(), tag, loginFor(tag));
      if (digest) engines.cache.remember(tag, digest);
    }
    const image = digest ? `${repository}@${digest}` : tag;
    builds.push({
      container: c.name,
      context: relative(process.cwd(), c.build.context) || ".",
      dockerfile: c.build.dockerfile,
      args: c.build.args,
      ...(c.build.target ? { target: c.build.target } : {}),
      hash,
      tag,
      build: !digest,
    });
    containers.push({ ...c, image });
  }
  engines.cache.save();
  return { spec: { ...spec, containers }, builds };
}

/**
 * Builds and pushes what a plan says to build, after checking each context still hashes as
 * planned, and returns container → the pushed image by digest.
 */
export async function runBuilds(
  builds: readonly PlannedBuild[],
  loginFor: ServiceCredentials["loginFor"],
  engines: Engine,
  events: BuildEvents & { start?: (build: PlannedBuild) => void } = {},
): Promise<Map<string, string>> {
  const images = new Map<string, string>();
  for (const b of builds.filter((x) => x.build)) {
    const spec = {
      context: resolve(b.context),
      dockerfile: b.dockerfile,
      args: b.args,
      ...(b.target ? { target: b.target } : {}),
    };
    const now = hashContext(spec, engines.cache.files);
    if (now.hash !== b.hash) {
      throw new UserError(`the build context ${b.context} of ${b.container} changed since the plan`, {
        hint: "plan again and review what it shows",
        exitCode: ExitCode.stalePlan,
      });
    }
    events.start?.(b);
    const pushed = await buildAndPush(
      await engines.get(),
      { ...spec, files: now.files },
      b.tag,
      loginFor(b.tag),
      events,
    );
    engines.cache.remember(b.tag, pushed.slice(pushed.lastIndexOf("@") + 1));
    engines.cache.save();
    images.set(b.container, pushed);
  }
  return images;
}

import pLimit from "p-limit";
import type { Credentials } from "../credentials/credentials.js";
import { resolveLogins } from "../credentials/resolve.js";
import type { ServiceSpec } from "../manifest/model.js";
import { byText } from "../util/sorted.js";
import type { PlannedBuild } from "./model.js";
import { type Engine, resolveBuilds, runBuilds } from "./resolve.js";

/** `svc build --json`; schema: schemas/build-result.schema.json. */
export interface BuildResult {
  version: 1;
  images: {
    service: string;
    container: string;
    context: string;
    hash: string;
    /** The image by digest, as svc deploys it. */
    image: string;
    /** Built and pushed now (false: the registry already held this context's build). */
    built: boolean;
  }[];
}

/**
 * svc build: every service's built containers, resolved against the registry (a context it already
 * holds a build of is not built again), built and pushed, at most `parallelism` services at once.
 * The images by digest, sorted by service and container.
 */
export async function buildServices(
  specs: ServiceSpec[],
  options: {
    credentials: Credentials;
    engines: Engine;
    parallelism: number;
    start?: (service: string, build: PlannedBuild) => void;
  },
): Promise<BuildResult["images"]> {
  const limit = pLimit(options.parallelism);
  const done = await Promise.all(
    specs.map((spec) =>
      limit(async () => {
        const loginFor = await resolveLogins(
          options.credentials,
          spec.containers.map((c) => c.image),
        );
        const { spec: resolved, builds } = await resolveBuilds(spec, loginFor, options.engines);
        const pushed = await runBuilds(builds, loginFor, options.engines, {
          start: (b) => options.start?.(spec.name, b),
        });
        return builds.map((b) => ({
          service: spec.name,
          container: b.container,
          context: b.context,
          hash: b.hash,
          image:
            pushed.get(b.container) ??
            (resolved.containers.find((c) => c.name === b.container)?.image as string),
          built: b.build,
        }));
      }),
    ),
  );
  return done.flat().sort((a, b) => byText(a.service, b.service) || byText(a.container, b.container));
}

import type { ServiceCredentials } from "../credentials/resolve.js";
import type { ServiceSpec } from "../manifest/model.js";
import { specifiedPorts } from "../platform/adapt.js";
import type { PlatformClient } from "../platform/client.js";
import type { ObservedState } from "../platform/model.js";
import type { LiveState } from "./model.js";
import { observeRestarts } from "./restarts.js";

/**
 * Reads one target's live state (through the adapters) and the preflight facts the plan needs:
 * whether changed images can be pulled with the resolved registry login, which specified host
 * ports others hold, and which containers do not run as the manifest says.
 */
export async function observe(
  client: PlatformClient,
  spec: ServiceSpec,
  loginFor: ServiceCredentials["loginFor"],
  /** Images of built containers (build:): svc asks their registry itself (build/resolve.ts). */
  built: ReadonlySet<string> = new Set(),
  now = Date.now(),
): Promise<LiveState> {
  const [caps, { state, pod }] = await Promise.all([client.capabilities(), client.observeWithPod()]);

  // The image, port and restart questions are asked at once: a plan's time is mostly round trips.
  const [images, takenPorts, failing] = await Promise.all([
    pullable(client, spec, state.containers, loginFor, built),
    takenHostPorts(client, spec, state),
    observeRestarts(client, caps, state.service, pod, now),
  ]);
  return { capabilities: [...caps].sort(), ...state, images, takenPorts, failing };
}

/** Whether each changed image exists and can be pulled with the resolved login. */
async function pullable(
  client: PlatformClient,
  spec: ServiceSpec,
  containers: LiveState["containers"],
  loginFor: ServiceCredentials["loginFor"],
  built: ReadonlySet<string>,
): Promise<Record<string, boolean>> {
  const liveImages = new Map((containers ?? []).map((c) => [c.name, c.imageName]));
  const asked = [
    ...new Set(
      spec.containers
        .filter((c) => liveImages.get(c.name) !== c.image && !built.has(c.image))
        .map((c) => c.image),
    ),
  ];
  const answers = await Promise.all(asked.map((image) => client.imageAvailable(image, loginFor(image))));
  return Object.fromEntries(asked.map((image, i) => [image, answers[i] as boolean]));
}

/** The specified host ports the manifest wants, that it does not hold yet, and another service holds. */
async function takenHostPorts(
  client: PlatformClient,
  spec: ServiceSpec,
  { service, containers }: ObservedState,
): Promise<number[]> {
  if (!specifiedPorts(service)) return [];
  const held = new Set((containers ?? []).flatMap((c) => (c.ports ?? []).map((p) => p.hostPort)));
  const wanted = spec.containers.flatMap((c) =>
    c.ports.map((p) => p.host).filter((h): h is number => h !== undefined),
  );
  const toCheck = [...new Set(wanted.filter((h) => !held.has(h)))].sort((a, b) => a - b);
  const taken = await Promise.all(
    toCheck.map((port) => client.portTaken(port, service.serviceOptions.region, service.id)),
  );
  return toCheck.filter((_, i) => taken[i]);
}

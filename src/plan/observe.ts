import type { ServiceCredentials } from "../credentials/resolve.js";
import type { ServiceSpec } from "../manifest/model.js";
import { crashed, specifiedPorts } from "../platform/adapt.js";
import type { PlatformClient } from "../platform/client.js";
import type { PodView } from "../platform/model.js";
import type { LiveState } from "./model.js";

/**
 * Reads one target's live state (through the adapters) and the preflight facts the plan needs:
 * whether changed images can be pulled with the resolved registry login, and which specified
 * host ports others hold.
 */
export async function observe(
  client: PlatformClient,
  spec: ServiceSpec,
  loginFor: ServiceCredentials["loginFor"],
  /** Images of built containers (build:): svc asks their registry itself (build/resolve.ts). */
  built: ReadonlySet<string> = new Set(),
): Promise<LiveState> {
  const [caps, { state, pod }] = await Promise.all([client.capabilities(), client.observeWithPod()]);
  const { service, containers } = state;

  // Each image and port question is asked at once: a plan's time is mostly round trips.
  const liveImages = new Map((containers ?? []).map((c) => [c.name, c.imageName]));
  const asked = [
    ...new Set(
      spec.containers
        .filter((c) => liveImages.get(c.name) !== c.image && !built.has(c.image))
        .map((c) => c.image),
    ),
  ];
  const answers = await Promise.all(asked.map((image) => client.imageAvailable(image, loginFor(image))));
  const images: Record<string, boolean> = Object.fromEntries(
    asked.map((image, i) => [image, answers[i] as boolean]),
  );

  const held = new Set((containers ?? []).flatMap((c) => (c.ports ?? []).map((p) => p.hostPort)));
  const wanted = spec.containers.flatMap((c) =>
    c.ports.map((p) => p.host).filter((h): h is number => h !== undefined),
  );
  const toCheck = [...new Set(wanted.filter((h) => !held.has(h)))].sort((a, b) => a - b);
  const taken = specifiedPorts(service)
    ? await Promise.all(
        toCheck.map((port) => client.portTaken(port, service.serviceOptions.region, service.id)),
      )
    : [];
  const takenPorts = toCheck.filter((_, i) => taken[i]);
  // A paused service's containers are stopped on purpose; the plan shows it paused instead.
  const failing = state.service.status === "ServiceStop" ? [] : failingContainers(pod);
  return { capabilities: [...caps].sort(), ...state, images, takenPorts, failing };
}

function failingContainers(pod: PodView): LiveState["failing"] {
  return pod.containers.filter(crashed).map(({ name, restartCount, state: { terminated } }) => ({
    name,
    restarts: restartCount,
    ...(terminated ? { exitCode: terminated.exitCode } : {}),
  }));
}

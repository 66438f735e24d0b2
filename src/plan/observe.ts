import type { Credentials } from "../credentials/credentials.js";
import { specifiedPorts } from "../platform/adapt.js";
import type { PlatformClient } from "../platform/client.js";
import { registryOf } from "../platform/image.js";
import type { ServiceSpec } from "../spec/model.js";
import type { LiveState } from "./model.js";

/**
 * Reads one target's live state (through the adapters) and the preflight facts the plan needs:
 * whether changed images can be pulled with the resolved registry login, and which specified
 * host ports others hold.
 */
export async function observe(
  client: PlatformClient,
  spec: ServiceSpec,
  credentials: Credentials,
): Promise<LiveState> {
  const [caps, state] = await Promise.all([client.capabilities(), client.observe()]);
  const { service, containers } = state;

  const liveImages = new Map((containers ?? []).map((c) => [c.name, c.imageName]));
  const images: Record<string, boolean> = {};
  for (const c of spec.containers) {
    if (liveImages.get(c.name) === c.image || c.image in images) continue;
    const login = await credentials.registry(registryOf(c.image));
    images[c.image] = await client.imageAvailable(c.image, login?.value);
  }

  const held = new Set((containers ?? []).flatMap((c) => (c.ports ?? []).map((p) => p.hostPort)));
  const wanted = spec.containers.flatMap((c) =>
    c.ports.map((p) => p.host).filter((h): h is number => h !== undefined),
  );
  const toCheck = [...new Set(wanted.filter((h) => !held.has(h)))].sort((a, b) => a - b);
  const takenPorts: number[] = [];
  if (specifiedPorts(service)) {
    for (const port of toCheck) {
      if (await client.portTaken(port, service.serviceOptions.region, service.id)) takenPorts.push(port);
    }
  }
  return { capabilities: [...caps].sort(), ...state, images, takenPorts };
}

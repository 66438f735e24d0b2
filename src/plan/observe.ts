import type { Credentials } from "../credentials/credentials.js";
import type { PlatformClient } from "../platform/client.js";
import { registryOf } from "../platform/image.js";
import type { ServiceSpec } from "../spec/model.js";
import type { LiveState } from "./model.js";

/**
 * Reads one target's live state and the preflight facts the plan needs: the service, its
 * deployment (with config files), its domains, whether changed images can be pulled with the
 * resolved registry login, and which specified host ports others hold.
 */
export async function observe(
  client: PlatformClient,
  spec: ServiceSpec,
  credentials: Credentials,
): Promise<LiveState> {
  const service = await client.userService();
  const containers = await client.deploymentInfo();
  const domains = containers ? (await client.podStatus()).domains : [];
  if (containers?.some((c) => c.configMap === undefined)) {
    const maps = await client.configMaps();
    for (const c of containers) {
      const map = maps[c.name];
      c.configMap ??= typeof map === "string" ? { "": map } : (map ?? {});
    }
  }

  const liveImages = new Map((containers ?? []).map((c) => [c.name, c.imageName]));
  const images: Record<string, boolean> = {};
  for (const c of spec.containers) {
    if (liveImages.get(c.name) === c.image || c.image in images) continue;
    const login = await credentials.registry(registryOf(c.image));
    images[c.image] = await client.imageAvailable(c.image, login?.value);
  }

  const held = new Set((containers ?? []).flatMap((c) => c.ports.map((p) => p.hostPort)));
  const wanted = spec.containers.flatMap((c) =>
    c.ports.map((p) => p.host).filter((h): h is number => h !== undefined),
  );
  const toCheck = [...new Set(wanted.filter((h) => !held.has(h)))].sort((a, b) => a - b);
  const takenPorts =
    toCheck.length > 0 && service.serviceOptions.specifiedPort
      ? await client.takenPorts(toCheck, service.serviceOptions.region, service.id)
      : [];

  return { service, ...(containers ? { containers } : {}), domains, images, takenPorts };
}

/** Just enough of the live state to recompute a fingerprint (a saved plan's staleness check). */
export async function observeFingerprintState(client: PlatformClient) {
  const service = await client.userService();
  const containers = await client.deploymentInfo();
  const domains = containers ? (await client.podStatus()).domains : [];
  return { service, ...(containers ? { containers } : {}), domains };
}

import type { NormalContainer, NormalService } from "../plan/model.js";
import type { RegistryLogin } from "../platform/model.js";
import type { WireContainer, WireDeploymentRequest } from "../platform/wire.js";

/** The login sent for a public image: the API wants one per container. */
export const publicLogin: RegistryLogin = { username: "", password: "" };

/**
 * The API body for a desired state, in vkube's shape (lists, configMap, protocol; hostPort only
 * when chosen, never 0), one registry login per container. Secret env values are resolved only
 * here, at call time: the plan itself carries their names and hashes.
 */
export function deploymentBody(
  desired: NormalService,
  secrets: ReadonlyMap<string, string>,
  loginFor: (image: string) => RegistryLogin | undefined,
): WireDeploymentRequest & { pvtLogin: RegistryLogin[] } {
  return {
    containers: desired.containers.map((c) => containerBody(c, secrets)),
    pvtLogin: desired.containers.map((c) => loginFor(c.image) ?? publicLogin),
  };
}

function containerBody(c: NormalContainer, secrets: ReadonlyMap<string, string>): WireContainer {
  return {
    name: c.name,
    imageName: c.image,
    resourceUnit: c.units,
    ports: c.ports.map((p) => ({
      containerPort: p.container,
      ...(p.host ? { hostPort: p.host } : {}),
      protocol: p.protocol.toUpperCase() as "TCP" | "UDP",
    })),
    envs: envBody(c, secrets),
    mountPath: c.storage,
    command: c.command,
    args: c.args,
    configMap: c.files,
  };
}

export function envBody(
  c: NormalContainer,
  secrets: ReadonlyMap<string, string>,
): { name: string; value: string }[] {
  return Object.entries(c.env).map(([name, v]) => {
    if ("value" in v) return { name, value: v.value };
    const value = secrets.get(v.secret);
    if (value === undefined) throw new Error(`secret ${v.secret} was not resolved`);
    return { name, value };
  });
}

import type { NormalContainer, NormalService } from "../plan/model.js";
import type { LiveContainer, RegistryLogin } from "../platform/client.js";

/** A deployment request body: containers in the API's shape, one registry login per container. */
export interface DeploymentBody {
  /** hostPort 0: the platform assigns one. */
  containers: LiveContainer[];
  pvtLogin: RegistryLogin[];
}

/**
 * The API body for a desired state. Secret env values are resolved only here, at call time:
 * the plan itself carries their names and hashes.
 */
export function deploymentBody(
  desired: NormalService,
  secrets: ReadonlyMap<string, string>,
  loginFor: (image: string) => RegistryLogin | undefined,
): DeploymentBody {
  return {
    containers: desired.containers.map((c) => containerBody(c, secrets)),
    pvtLogin: desired.containers.map((c) => loginFor(c.image) ?? { username: "", password: "" }),
  };
}

export function containerBody(c: NormalContainer, secrets: ReadonlyMap<string, string>): LiveContainer {
  return {
    name: c.name,
    imageName: c.image,
    resourceUnit: c.units,
    ports: c.ports.map((p) => ({
      containerPort: p.container,
      hostPort: p.host ?? 0,
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

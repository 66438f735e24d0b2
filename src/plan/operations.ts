import type { Capabilities } from "../platform/model.js";
import type { ServiceDelta } from "./diff.js";
import type { Action, Operation } from "./model.js";

export interface ServiceCalls {
  action: Action;
  /** The calls in the order apply makes them, each with its cause. */
  operations: Operation[];
  restarts: boolean;
  destructive: boolean;
  /** Why the service is redeployed, one cause each; empty when it is not. */
  redeployCauses: string[];
}

/**
 * The minimal API calls that make a delta so, in a fixed order: unbind domains, deploy or
 * redeploy, images, config, resume, description, labels, bind domains. What the provider cannot
 * change in place (by its capabilities) becomes a redeploy. Pure.
 */
export function planCalls(delta: ServiceDelta, caps: Capabilities): ServiceCalls {
  const operations: Operation[] = [];
  const destructive = delta.losses.length > 0;
  const { redeployCauses, images, config } = inPlaceOrRedeploy(delta, caps);
  const domains = delta.domains;
  if (domains.unbind.length > 0) {
    operations.push({
      kind: "unbind-domains",
      cause:
        domains.rebound.length > 0 ? `rebind of ${domains.rebound.join(", ")}` : "domains removed or moved",
      restarts: false,
      domains: domains.unbind,
    });
  }
  if (delta.created) {
    operations.push({
      kind: "deploy",
      cause: "never deployed",
      restarts: false,
      containers: delta.deployed,
    });
  } else if (redeployCauses.length > 0) {
    operations.push({
      kind: "redeploy",
      cause: `${redeployCauses.join(", ")} ${redeployCauses.length === 1 ? "forces" : "force"} a redeploy`,
      restarts: true,
      ...(destructive ? { destructive: true } : {}),
      containers: delta.deployed,
    });
  } else {
    if (images.length > 0) {
      operations.push({
        kind: "update-images",
        cause: `image changed: ${images.join(", ")}`,
        restarts: true,
        containers: images,
      });
    }
    if (config.length > 0) {
      operations.push({
        kind: "update-config",
        cause: `env or files changed: ${config.join(", ")}`,
        restarts: true,
        containers: config,
      });
    }
  }
  // Applying a manifest to a paused service runs it again, after the calls that change it (a
  // redeploy or config update keeps a paused service paused).
  if (delta.paused) {
    operations.push({
      kind: "resume",
      cause: "the service is paused: applying the manifest runs it",
      restarts: true,
    });
  }
  const verb = delta.created ? "set" : "changed";
  if (delta.description)
    operations.push({ kind: "set-description", cause: `description ${verb}`, restarts: false });
  if (delta.labels) operations.push({ kind: "set-labels", cause: `labels ${verb}`, restarts: false });
  for (const d of domains.bind) {
    operations.push({ kind: "bind-domain", cause: d.cause, restarts: false, domains: [d.name] });
  }
  const action: Action = delta.created
    ? "create"
    : operations.length === 0
      ? "noop"
      : redeployCauses.length > 0
        ? "redeploy"
        : "update";
  return {
    action,
    operations,
    restarts: !delta.created && operations.some((o) => o.restarts),
    destructive,
    redeployCauses,
  };
}

/**
 * Which changed containers get an image or config call, and why the service is redeployed
 * instead: a change no call makes in place, a call this provider cannot make for it, or an image
 * and config changing together.
 */
function inPlaceOrRedeploy(
  delta: ServiceDelta,
  caps: Capabilities,
): { redeployCauses: string[]; images: string[]; config: string[] } {
  const redeployCauses: string[] = [];
  const images: string[] = [];
  const config: string[] = [];
  for (const c of delta.containers) {
    const at = `containers.${c.name}`;
    if (c.added) {
      redeployCauses.push(`${at} added`);
      continue;
    }
    redeployCauses.push(...c.fields.map((field) => `${at}.${field}`));
    // Without image-container the image call names no container: in place only when there is one.
    if (c.image) {
      if (caps.has("image-container") || delta.deployed.length === 1) images.push(c.name);
      else
        redeployCauses.push(
          `${at}.image (this provider updates images in place only in one-container services)`,
        );
    }
    if (c.config?.files && !caps.has("config-path-map") && !c.config.publicConfig) {
      redeployCauses.push(`${at}.files (this provider changes a config file in place only where one exists)`);
    } else if (c.config) config.push(c.name);
  }
  redeployCauses.push(...delta.removed.map((name) => `containers.${name} removed`));
  // An image call and a config call each restart the pod, and between them the new image would run
  // with the old config: together they are one redeploy, one restart.
  if (images.length > 0 && config.length > 0 && redeployCauses.length === 0) {
    redeployCauses.push(
      `images (${images.join(", ")}) and env or files (${config.join(", ")}) changed together (one restart instead of two)`,
    );
  }
  return { redeployCauses, images, config };
}

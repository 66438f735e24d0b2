import { baseDomain } from "../../platform/domain.js";
import { PlatformError } from "./platform-error.js";
import type { DomainRecord, Store } from "./store.js";

/**
 * The record a bind makes, or why it is refused: the port must be a container's tcp port, the
 * domain free, and https is fixed per base domain at its first bind.
 */
export function domainToBind(
  store: Store,
  serviceId: string,
  body: { domain: string; containerPort: number; isLetsencrypt?: boolean },
): DomainRecord {
  const domain = body.domain.toLowerCase();
  const ports = (store.deployment(serviceId)?.containers ?? []).flatMap((c) => c.ports);
  if (!ports.some((p) => p.containerPort === body.containerPort && p.protocol === "TCP")) {
    throw new PlatformError(400, `no container exposes tcp port ${body.containerPort}`);
  }
  const owner = store.domains().find((d) => d.domain === domain);
  if (owner) {
    throw new PlatformError(
      409,
      owner.serviceId === serviceId ? `${domain} is already bound` : `${domain} is bound by another service`,
    );
  }
  const group = store.domains(serviceId).filter((d) => baseDomain(d.domain) === baseDomain(domain));
  const fixed = group[0]?.isHttps;
  if (fixed !== undefined && body.isLetsencrypt !== undefined && body.isLetsencrypt !== fixed) {
    throw new PlatformError(
      409,
      `https for domains under ${baseDomain(domain)} was fixed to ${fixed} at first bind: unbind all of them first (${group.map((d) => d.domain).join(", ")})`,
    );
  }
  return {
    serviceId,
    domain,
    containerPort: body.containerPort,
    isHttps: fixed ?? body.isLetsencrypt ?? false,
  };
}

/** The domains an unbind names (undefined: all of them); each must be bound. */
export function domainsToUnbind(
  store: Store,
  serviceId: string,
  domains: string[] | undefined,
): string[] | undefined {
  const names = domains?.map((d) => d.toLowerCase());
  const bound = new Set(store.domains(serviceId).map((d) => d.domain));
  const missing = names?.filter((d) => !bound.has(d)) ?? [];
  if (missing.length > 0) throw new PlatformError(404, `not bound: ${missing.join(", ")}`);
  return names;
}

/** The proxy's routing table lookup: the host port serving a domain, and whether it is https. */
export function route(store: Store, domain: string): { hostPort: number; isHttps: boolean } | undefined {
  const d = store.domains().find((x) => x.domain === domain);
  if (!d) return undefined;
  const port = (store.deployment(d.serviceId)?.containers ?? [])
    .flatMap((c) => c.ports)
    .find((p) => p.containerPort === d.containerPort && p.protocol === "TCP");
  return port && { hostPort: port.hostPort, isHttps: d.isHttps };
}

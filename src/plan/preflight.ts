import type { Diagnostic } from "../manifest/diagnostics.js";
import { markOf } from "../manifest/marks.js";
import type { ServiceSpec } from "../manifest/model.js";
import { specifiedPorts, unitsOf } from "../platform/adapt.js";
import type { LiveState, NormalService } from "./model.js";
import { notRunningWhy, RESTART_WINDOW_MS } from "./restarts.js";

const DAY_MS = 24 * 3600_000;

/**
 * The platform's rules checked before any call, so a plan never shows a change the platform
 * would refuse: budget, specified ports, storage, images, and the service's own state.
 */
export function preflight(
  spec: ServiceSpec,
  desired: NormalService,
  live: LiveState,
  now = Date.now(),
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const file = spec.files[0] ?? "";
  const problem = (severity: Diagnostic["severity"], path: string, message: string, hint?: string) =>
    out.push({ severity, file, line: 0, column: 0, path, message, ...(hint ? { hint } : {}) });
  const svc = live.service;
  const index = (name: string) => spec.containers.findIndex((c) => c.name === name);

  const mark = markOf(svc.labels);
  if (mark && (mark.manifest !== spec.name || mark.repository !== spec.repository)) {
    const from =
      mark.repository === spec.repository
        ? "from another manifest"
        : `from another repository (${mark.repository})`;
    problem(
      "warning",
      "spec.target",
      `target ${spec.target} runs ${mark.manifest} ${from}: applying replaces it with ${spec.name}`,
      "if that is not meant, choose another target; if it is, remove or retarget the other manifest",
    );
  }
  for (const f of live.failing ?? []) {
    problem(
      "warning",
      index(f.name) >= 0 ? `spec.containers[${index(f.name)}]` : "spec.containers",
      `container ${f.name} ${notRunningWhy(f)}`,
      f.recently
        ? `svc logs ${spec.target} ${f.name} shows why it stopped; the service counts as running once it has run ${RESTART_WINDOW_MS / 60_000} minutes without a restart`
        : `svc logs ${spec.target} ${f.name} shows why; applying the same manifest again will not fix it`,
    );
  }
  if (svc.status === "ServiceDone" || svc.status === "ServiceAbort") {
    problem(
      "error",
      "spec.target",
      `target ${spec.target} has ended (${svc.status})`,
      "renew the user service or choose another target",
    );
  } else if (svc.expiresAt !== undefined) {
    const left = Date.parse(svc.expiresAt) - now;
    if (left < DAY_MS) {
      problem(
        "warning",
        "spec.target",
        `target ${spec.target} expires in ${Math.max(0, Math.round(left / 3600_000))} h (${svc.expiresAt})`,
        "renew it before it ends, or the service stops",
      );
    }
  }

  unmanaged(spec, live, problem);

  const bought = unitsOf(svc);
  const units = desired.containers.reduce((n, c) => n + c.units, 0);
  if (units > bought) {
    problem(
      "error",
      "spec.containers",
      `the containers need ${units} units; target ${spec.target} has ${bought}`,
      "lower units or buy a bigger service",
    );
  }
  const ports = desired.containers.reduce((n, c) => n + c.ports.length, 0);
  if (ports > bought) {
    problem(
      "error",
      "spec.containers",
      `${ports} ports exceed the ${bought} of target ${spec.target} (one port per unit)`,
      "expose fewer ports or buy more units",
    );
  }

  const specified = specifiedPorts(svc);
  if (specified === undefined && desired.containers.some((c) => c.ports.some((p) => p.host !== undefined))) {
    problem(
      "warning",
      "spec.containers",
      `target ${spec.target} does not say whether host ports may be chosen (no portSpecification): host ports are not checked`,
      "if the platform refuses them, remove host: and let it assign ports",
    );
  }
  for (const c of desired.containers) {
    c.ports.forEach((p, i) => {
      if (p.host === undefined || specified === undefined) return;
      const path = `spec.containers[${index(c.name)}].ports[${i}]`;
      if (!specified) {
        problem(
          "error",
          path,
          `host port ${p.host} can't be chosen: target ${spec.target} was bought without specified ports`,
          "remove host: the platform assigns one",
        );
      } else if (live.takenPorts.includes(p.host)) {
        problem(
          "error",
          path,
          `host port ${p.host} is taken by another service`,
          "choose another host port, or omit it",
        );
      }
    });
  }

  const withStorage = desired.containers.filter((c) => c.storage);
  if (svc.serviceOptions.persistStorage === undefined) {
    // Not said: the platform decides at deploy time.
  } else if (svc.serviceOptions.persistStorage !== "Yes") {
    for (const c of withStorage) {
      problem(
        "error",
        `spec.containers[${index(c.name)}].storage`,
        `target ${spec.target} has no persistent storage`,
        "remove storage, or buy a service with storage",
      );
    }
  } else if (withStorage.length === 0) {
    problem(
      "error",
      "spec.containers",
      `target ${spec.target} has persistent storage: at least one container must mount it`,
      "set storage: /path on the container that keeps data",
    );
  }

  for (const c of desired.containers) {
    if (live.images[c.image] === false) {
      problem(
        "error",
        `spec.containers[${index(c.name)}].image`,
        `image ${c.image} does not exist or cannot be pulled`,
        "check the name and tag; for a private registry: svc registry login HOST (or SVC_REGISTRY_<HOST>)",
      );
    }
  }
  return out;
}

/**
 * One warning per target for each field the manifest sets that this provider does not show back:
 * svc cannot see drift in it, so it neither diffs nor writes it.
 */
function unmanaged(
  spec: ServiceSpec,
  live: LiveState,
  problem: (severity: Diagnostic["severity"], path: string, message: string, hint?: string) => void,
): void {
  const hint =
    "svc writes and compares it only on providers that show it back (README: Capabilities); set it in the provider's console meanwhile";
  const svc = live.service;
  if (svc.labels === undefined && Object.keys(spec.labels).length > 0) {
    problem(
      "warning",
      "metadata.labels",
      `the provider does not expose labels: metadata.labels is not managed on target ${spec.target}`,
      hint,
    );
  }
  if (svc.description === undefined && spec.description) {
    problem(
      "warning",
      "metadata.description",
      `the provider does not expose the description: metadata.description is not managed on target ${spec.target}`,
      hint,
    );
  }
  const fields = ["units", "ports", "storage", "command", "args"] as const;
  const keys = {
    units: "resourceUnit",
    ports: "ports",
    storage: "mountPath",
    command: "command",
    args: "args",
  } as const;
  const hidden = fields.filter((f) => (live.containers ?? []).some((c) => c[keys[f]] === undefined));
  if (hidden.length > 0) {
    problem(
      "warning",
      "spec.containers",
      `the provider does not show the deployment's ${hidden.join(", ")}: they are not compared on target ${spec.target} (svc cannot see drift in them)`,
      "every deploy still sends them as the manifest says; a provider that shows its deployment lets svc compare them (README: Capabilities)",
    );
  }
  const several = spec.containers.filter((c) => c.files.length > 1).map((c) => c.name);
  if (!live.capabilities.includes("config-path-map") && several.length > 0) {
    problem(
      "warning",
      "spec.containers",
      `the provider shows one config file per container without its path: only the first file of ${several.join(", ")} is compared on target ${spec.target}`,
      "every deploy still sends all of them; a provider with config-path-map lets svc compare each (README: Capabilities)",
    );
  }
}

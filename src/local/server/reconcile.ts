import type { DockerRuntime } from "./runtime.js";
import type { Store } from "./store.js";

/**
 * Makes the engine match the records: recreates pods that are missing or at another revision,
 * starts stopped ones that should run, removes containers of ours that no record explains.
 */
export async function reconcile(
  store: Store,
  runtime: DockerRuntime,
  log: (line: string) => void,
): Promise<void> {
  const wanted = new Set<string>();
  for (const service of store.services()) {
    const current = store.deployment(service.id);
    if (!current) continue;
    wanted.add(service.id);
    const pod = { serviceId: service.id, revision: current.revision, containers: current.containers };
    try {
      if (!(await runtime.podMatches(pod))) {
        log(`reconcile: recreating ${service.id} at revision ${current.revision}`);
        for (const c of current.containers) await runtime.ensureImage(c.imageName);
        await runtime.deployPod(pod);
        store.addNotice(service.id, "Reconciled", `recreated at revision ${current.revision}`);
      }
      if (service.status === "ServiceStop") await runtime.stopPod(service.id);
      else await runtime.startPod(service.id);
    } catch (error) {
      log(`reconcile: ${service.id} failed: ${(error as Error).message}`);
      store.addNotice(service.id, "ReconcileFailed", (error as Error).message);
    }
  }
  for (const c of await runtime.list()) {
    const serviceId = c.Labels["dev.svc.service"] ?? "";
    if (!wanted.has(serviceId)) {
      log(`reconcile: removing stray container ${c.Names[0]}`);
      await runtime.remove(c.Id);
    }
  }
}

/**
 * Records a notice when a container of a known service's current pod exits on its own; returns how
 * to stop watching. The engine tells of a death late: one of a pod a deployment has replaced since
 * is not the current pod's crash.
 */
export function watchCrashes(store: Store, runtime: DockerRuntime): Promise<() => void> {
  return runtime.watchCrashes((serviceId, container, exitCode, revision) => {
    if (store.service(serviceId) && store.deployment(serviceId)?.revision === revision) {
      store.addNotice(serviceId, "Crashed", `container ${container} exited with code ${exitCode}`);
    }
  });
}

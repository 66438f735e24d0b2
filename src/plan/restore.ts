import type { Capabilities, ObservedState } from "../platform/model.js";
import { diffService, type ServiceDelta } from "./diff.js";
import type { SecretContext } from "./diff-config.js";
import type {
  LiveNormalContainer,
  LiveNormalService,
  NormalContainer,
  NormalService,
  Operation,
  Restore,
} from "./model.js";
import { normalizeLive } from "./normalize.js";
import { planCalls } from "./operations.js";

/**
 * The restore of a forward change, as a plan sees it: the state before (`kept`, observed) as the
 * desired one, the forward's desired state as the live one after. Pure.
 */
export function restoreOf(
  kept: ObservedState,
  forward: { desired: NormalService; delta: ServiceDelta },
  after: LiveNormalService,
  caps: Capabilities,
  secrets: SecretContext,
): Restore {
  const calls = inverseCalls(kept, forward.desired, after, caps, secrets);
  const irreversible = [...forward.delta.losses.map((loss) => `data: ${loss}`)];
  if (!kept.containers)
    irreversible.push(
      "the service was not deployed before: the restore stops it, and the platform keeps its deployment (there is no call to remove one)",
    );
  for (const name of forward.delta.domains.unbind) {
    if (!forward.desired.domains.some((d) => d.name === name))
      irreversible.push(
        `domain ${name} is unbound: another service may bind it before the restore binds it again`,
      );
  }
  return { operations: calls, irreversible };
}

/**
 * The calls that take the service from `after` back to `kept`: where nothing was deployed, a stop;
 * else the plan of `kept` as a desired state (restoreTarget) against `after`, then a stop if the
 * service was paused.
 */
export function inverseCalls(
  kept: ObservedState,
  forward: NormalService,
  after: LiveNormalService,
  caps: Capabilities,
  secrets: SecretContext,
): Operation[] {
  const stop: Operation = {
    kind: "stop",
    cause: kept.containers ? "it was paused before" : "it was not deployed before",
    restarts: false,
  };
  if (!kept.containers) return [stop];
  const target = restoreTarget(kept, forward);
  const operations = planCalls(diffService(target, after, caps, secrets), caps).operations.filter(
    // A paused service is stopped again last, not resumed first.
    (o) => o.kind !== "resume",
  );
  return kept.service.status === "ServiceStop" ? [...operations, stop] : operations;
}

/**
 * The observed state before as a desired state: what the provider showed, and for the fields it
 * does not show (unmanaged), what the forward plan sent — the restore leaves them as the apply
 * left them. Env values are the live ones: the result is kept in memory and never written.
 */
export function restoreTarget(kept: ObservedState, forward: NormalService): NormalService {
  const normal = normalizeLive(kept, kept.containers ?? []);
  const sent = new Map(forward.containers.map((c) => [c.name, c]));
  return {
    description: normal.description ?? forward.description,
    labels: normal.labels ?? forward.labels,
    containers: normal.containers.map((l): NormalContainer => {
      const f = sent.get(l.name);
      const contents = l.fileContents?.[0];
      const firstPath = Object.keys(f?.files ?? {})[0] ?? "/config";
      return {
        name: l.name,
        image: l.image,
        units: l.units ?? f?.units ?? 1,
        ports: (l.ports ?? f?.ports ?? []).map((p) => {
          // A host port the change leaves to the platform stays assigned; one it chose or
          // removed comes back as it was.
          const sent = f?.ports.find((x) => x.container === p.container && x.protocol === p.protocol);
          const keepHost = p.host !== undefined && (sent === undefined || sent.host !== undefined);
          return { container: p.container, protocol: p.protocol, ...(keepHost ? { host: p.host } : {}) };
        }),
        env: l.env,
        storage: l.storage ?? f?.storage ?? "",
        ...(f?.ready !== undefined ? { ready: f.ready } : {}),
        command: l.command ?? f?.command ?? [],
        args: l.args ?? f?.args ?? [],
        files: l.files ?? (contents !== undefined ? { [firstPath]: contents } : (f?.files ?? {})),
      };
    }),
    domains: normal.domains,
  };
}

/**
 * A desired state as the provider would show it once applied, secrets resolved (for the inverse
 * diff): only the fields it showed before (`shown`, the live state the plan was made against), a
 * config file as its content alone where that is all the provider shows.
 */
export function asApplied(
  desired: NormalService,
  secrets: ReadonlyMap<string, string>,
  shown: LiveNormalService | undefined,
): LiveNormalService {
  const sample = shown?.containers[0];
  const shows = (field: keyof LiveNormalContainer) => !sample || sample[field] !== undefined;
  const field = <K extends keyof LiveNormalContainer>(key: K, value: LiveNormalContainer[K]) =>
    shows(key) ? { [key]: value } : {};
  return {
    ...(!shown || shown.description !== undefined ? { description: desired.description } : {}),
    ...(!shown || shown.labels !== undefined ? { labels: desired.labels } : {}),
    containers: desired.containers.map((c) => ({
      name: c.name,
      image: c.image,
      env: Object.fromEntries(
        Object.entries(c.env).map(([k, v]) => [
          k,
          { value: "value" in v ? v.value : (secrets.get(v.secret) ?? "") },
        ]),
      ),
      ...field("units", c.units),
      ...field("ports", c.ports),
      ...field("storage", c.storage),
      ...field("command", c.command),
      ...field("args", c.args),
      ...field("files", c.files),
      ...(sample && sample.files === undefined ? { fileContents: Object.values(c.files).slice(0, 1) } : {}),
    })),
    domains: desired.domains,
  };
}

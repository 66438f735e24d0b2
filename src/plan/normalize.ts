import { relative } from "node:path";
import type { FileSpec, ServiceSpec } from "../manifest/model.js";
import type { LiveContainer, ObservedState } from "../platform/model.js";
import { byText, sortedRecord } from "../util/sorted.js";
import type { Fingerprint } from "./fingerprint.js";
import type {
  LiveNormalContainer,
  LiveNormalService,
  NormalContainer,
  NormalEnv,
  NormalService,
} from "./model.js";

const byName = <T extends { name: string }>(a: T, b: T) => byText(a.name, b.name);

/**
 * The manifest's side. `secrets` holds the resolved value of every `{ secret: name }`; only its
 * keyed fingerprint enters the normalized form.
 */
export function normalizeDesired(
  spec: ServiceSpec,
  secrets: ReadonlyMap<string, string>,
  fingerprint: Fingerprint,
): NormalService {
  return {
    description: spec.description ?? "",
    labels: sortedRecord(spec.labels),
    containers: spec.containers
      .map(
        (c): NormalContainer => ({
          name: c.name,
          image: c.image,
          units: c.units,
          ports: c.ports.map((p) => ({
            container: p.container,
            protocol: p.protocol,
            ...(p.host ? { host: p.host } : {}),
          })),
          env: sortedRecord(
            Object.fromEntries(
              Object.entries(c.env).map(([k, v]): [string, NormalEnv] => [
                k,
                "secret" in v
                  ? { secret: v.secret, hmac: fingerprint(secrets.get(v.secret) ?? "") }
                  : { value: v.value },
              ]),
            ),
          ),
          storage: c.storage ?? "",
          ...(c.ready !== undefined ? { ready: c.ready } : {}),
          ...(c.verify ? { verify: c.verify } : {}),
          command: c.command ?? [],
          args: c.args ?? [],
          files: sortedRecord(Object.fromEntries(c.files.map((f) => [f.target, f.content]))),
          ...sensitiveFiles(c.files, fingerprint),
        }),
      )
      .sort(byName),
    domains: spec.domains.map((d) => ({ name: d.name, port: d.port, https: d.https })).sort(byName),
  };
}

function sensitiveFiles(files: readonly FileSpec[], fingerprint: Fingerprint): Partial<NormalContainer> {
  const sensitive = files.filter((f) => f.sensitive);
  if (sensitive.length === 0) return {};
  return {
    sensitiveFiles: Object.fromEntries(
      sensitive.map((f) => [
        f.target,
        { source: relative(process.cwd(), f.source) || f.source, hmac: fingerprint(f.content) },
      ]),
    ),
  };
}

/**
 * The platform's side: protocol case, defaults, ordering and config shapes made comparable.
 * Fields the provider does not show stay undefined (unmanaged).
 */
export function normalizeLive(
  state: Pick<ObservedState, "service" | "domains">,
  containers: LiveContainer[],
): LiveNormalService {
  const { description, labels, status } = state.service;
  return {
    ...(status === "ServiceStop" ? { paused: true } : {}),
    ...(description !== undefined ? { description } : {}),
    ...(labels !== undefined ? { labels: sortedRecord(labels) } : {}),
    containers: containers
      .map((c): LiveNormalContainer => {
        const known = <K extends keyof LiveNormalContainer>(
          key: K,
          value: LiveNormalContainer[K] | undefined,
        ) => (value === undefined ? {} : { [key]: value });
        return {
          name: c.name,
          image: c.imageName,
          env: sortedRecord(Object.fromEntries(c.envs.map((e) => [e.name, { value: e.value }]))),
          ...known("units", c.resourceUnit),
          ...known(
            "ports",
            c.ports
              ?.map((p) => ({
                container: p.containerPort,
                protocol: p.protocol.toLowerCase() as "tcp" | "udp",
                ...(p.hostPort ? { host: p.hostPort } : {}),
              }))
              .sort((a, b) => a.container - b.container || byText(a.protocol, b.protocol)),
          ),
          ...known("storage", c.mountPath),
          ...known("command", c.command),
          ...known("args", c.args),
          ...known("files", c.configMap && sortedRecord(c.configMap)),
          ...known("fileContents", c.configMap ? undefined : c.configContents),
        };
      })
      .sort(byName),
    domains: state.domains
      .map((d) => ({ name: d.domain.toLowerCase(), port: d.containerPort, https: d.isHttps }))
      .sort(byName),
  };
}

/** Canonical JSON (sorted keys) for hashing: equal states hash equal, whatever their key order. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    return `{${Object.keys(value)
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value);
}

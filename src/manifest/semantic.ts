import { dirname, resolve } from "node:path";
import { baseDomain } from "../platform/domain.js";
import { imageTag } from "../platform/image.js";
import { KEY_RULE, pathProblem } from "../platform/rules.js";
import { byText, sortedRecord } from "../util/sorted.js";
import { buildSpec } from "./build-rules.js";
import { readiness, verifyChecks } from "./checks.js";
import type { Diagnostic, PathSegment } from "./diagnostics.js";
import { diagnostic, formatPath } from "./diagnostics.js";
import { readSource } from "./file-source.js";
import type { Locator } from "./locate.js";
import { MARK_PREFIX } from "./marks.js";
import type { ContainerSpec, FileSpec, RawManifest, ServiceSpec } from "./model.js";
import { parsePort } from "./model.js";
import { repositoryIdentity, repositoryRoot } from "./repository.js";

/**
 * The rules JSON Schema cannot express, applied to a schema-valid manifest, and the
 * normalization into the desired model. All problems are returned, not just the first.
 */
export function checkAndNormalize(
  raw: RawManifest,
  locate: Locator,
  files: string[],
  options: { allowOutside?: boolean } = {},
): { service?: ServiceSpec; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const report = (severity: Diagnostic["severity"], path: PathSegment[], message: string, hint?: string) => {
    diagnostics.push(diagnostic({ ...locate.value(path), path: formatPath(path) }, message, hint, severity));
  };
  const error = (path: PathSegment[], message: string, hint?: string) => report("error", path, message, hint);

  // The provider's rules on names and paths (platform/rules.ts): the local platform refuses the same.
  const refusedKey = (path: PathSegment[], what: string, key: string) => {
    if (KEY_RULE.breaks(key)) error(path, `${what} "${key}" ${KEY_RULE.problem}`, "choose another name");
  };
  const refusedPath = (path: PathSegment[], what: string, value: string) => {
    const problem = pathProblem(value);
    if (problem)
      error(
        path,
        `${what} "${value}" ${problem}`,
        "mount it at another absolute path, like /etc/app/config.yaml",
      );
  };

  for (const key of Object.keys(raw.metadata.labels ?? {})) {
    refusedKey(["metadata", "labels", key], "label key", key);
    if (key.startsWith(MARK_PREFIX))
      error(
        ["metadata", "labels", key],
        `label keys under ${MARK_PREFIX} are svc's own (it marks what it deploys with them)`,
        "choose another key",
      );
  }

  const firstByName = new Map<string, number>();
  const firstByImage = new Map<string, number>();
  const containerPorts = new Map<string, string>();
  const hostPorts = new Map<string, string>();

  const containers: ContainerSpec[] = raw.spec.containers.map((c, i) => {
    const at = (...rest: PathSegment[]): PathSegment[] => ["spec", "containers", i, ...rest];
    refusedKey(at("name"), "container name", c.name);
    for (const name of Object.keys(c.env ?? {})) refusedKey(at("env", name), "env name", name);
    if (c.storage !== undefined) refusedPath(at("storage"), "storage path", c.storage);
    const seenName = firstByName.get(c.name);
    if (seenName !== undefined) {
      error(
        at("name"),
        `container name "${c.name}" is also used by containers[${seenName}]`,
        "give each container its own name",
      );
    } else firstByName.set(c.name, i);

    const seenImage = firstByImage.get(c.image);
    if (seenImage !== undefined) {
      error(
        at("image"),
        `image "${c.image}" is also used by container "${raw.spec.containers[seenImage]?.name}"`,
        "the platform runs each image once per service; use one container for it, or a distinct image",
      );
    } else firstByImage.set(c.image, i);

    const { tag, digest } = imageTag(c.image);
    const build =
      c.build !== undefined
        ? buildSpec(c, locate.file(at("build")), options.allowOutside ?? false, (path, message, hint) =>
            error(at(...path), message, hint),
          )
        : undefined;
    if (c.build === undefined && !digest && (tag === undefined || tag === "latest")) {
      report(
        "warning",
        at("image"),
        `image "${c.image}" ${tag ? 'uses the tag "latest"' : "has no tag"}: updates may not roll out`,
        "pin a version (image:1.4.2) or a digest (image@sha256:...)",
      );
    }

    const ports = (c.ports ?? []).map((rawPort, p) => {
      const port = parsePort(rawPort);
      for (const [label, value] of [
        ["container", port.container],
        ["host", port.host],
      ] as const) {
        if (value !== undefined && (value < 1 || value > 65535)) {
          error(at("ports", p), `${label} port ${value} is out of range`, "ports are 1-65535");
        }
      }
      const key = `${port.container}/${port.protocol}`;
      const owner = containerPorts.get(key);
      if (owner !== undefined) {
        error(
          at("ports", p),
          `container port ${key} is already used by ${owner}`,
          "containers share one network: give each a distinct container port",
        );
      } else containerPorts.set(key, `container "${c.name}"`);
      if (port.host !== undefined) {
        const hostKey = `${port.host}/${port.protocol}`;
        const hostOwner = hostPorts.get(hostKey);
        if (hostOwner !== undefined)
          error(at("ports", p), `host port ${hostKey} is already used by ${hostOwner}`);
        else hostPorts.set(hostKey, `container "${c.name}"`);
      }
      return port;
    });

    const ready = readiness(c.ready, ports, (message, hint) => error(at("ready"), message, hint));
    const verify = verifyChecks(
      c.verify,
      ports,
      (n) => locate.file(at("verify", n)),
      (n, message, hint) => error(at("verify", n), message, hint),
    );

    const targets = new Set<string>();
    const files: FileSpec[] = (c.files ?? []).map((f, n) => {
      const manifest = locate.file(at("files", n, "source"));
      const source = resolve(dirname(manifest), f.source);
      const read = readSource(f.source, source, repositoryRoot(manifest), options.allowOutside ?? false);
      const content = "content" in read ? read.content : "";
      if ("message" in read) error(at("files", n, "source"), read.message, read.hint);
      refusedPath(at("files", n, "target"), "target", f.target);
      if (targets.has(f.target))
        error(at("files", n, "target"), `target "${f.target}" is mounted twice in this container`);
      targets.add(f.target);
      return { source, target: f.target, content, ...(f.sensitive ? { sensitive: true } : {}) };
    });

    return {
      name: c.name,
      image: c.image,
      units: c.units ?? 1,
      ports: ports.sort((a, b) => a.container - b.container || byText(a.protocol, b.protocol)),
      env: sortedRecord(
        Object.fromEntries(
          Object.entries(c.env ?? {}).map(([k, v]) => [
            k,
            typeof v === "string" ? { value: v } : { secret: v.secret },
          ]),
        ),
      ),
      ...(c.storage !== undefined ? { storage: c.storage } : {}),
      ...(ready !== undefined ? { ready } : {}),
      ...(verify.length > 0 ? { verify } : {}),
      ...(c.command !== undefined ? { command: c.command } : {}),
      ...(c.args !== undefined ? { args: c.args } : {}),
      files: files.sort((a, b) => byText(a.target, b.target)),
      ...(build ? { build } : {}),
    };
  });

  const tcpPorts = new Set(
    containers.flatMap((c) => c.ports.filter((p) => p.protocol === "tcp").map((p) => p.container)),
  );
  const domainNames = new Map<string, number>();
  const domains = (raw.spec.domains ?? []).map((d, i) => {
    const name = d.name.toLowerCase();
    const first = domainNames.get(name);
    if (first !== undefined) {
      error(
        ["spec", "domains", i, "name"],
        `domain "${name}" is listed twice (also domains[${first}])`,
        "keep one entry per domain",
      );
    } else domainNames.set(name, i);
    if (!tcpPorts.has(d.port)) {
      error(
        ["spec", "domains", i, "port"],
        `domain "${name}" routes to port ${d.port}, which no container exposes over tcp`,
        tcpPorts.size > 0
          ? `container tcp ports: ${[...tcpPorts].sort((a, b) => a - b).join(", ")}`
          : "add the port to a container's ports",
      );
    }
    return { name, port: d.port, https: d.https ?? false };
  });

  // The platform fixes https per base domain at its first bind, so a group must agree.
  const httpsByBase = new Map<string, { https: boolean; index: number }>();
  domains.forEach((d, i) => {
    const base = baseDomain(d.name);
    const first = httpsByBase.get(base);
    if (!first) httpsByBase.set(base, { https: d.https, index: i });
    else if (first.https !== d.https) {
      error(
        ["spec", "domains", i, "https"],
        `domains under ${base} must all use the same https setting (domains[${first.index}] has https: ${first.https})`,
        `the platform fixes https per base domain at first bind; set https: ${first.https} here or change both`,
      );
    }
  });

  if (diagnostics.some((d) => d.severity === "error")) return { diagnostics };
  return {
    diagnostics,
    service: {
      name: raw.metadata.name,
      ...(raw.metadata.description !== undefined ? { description: raw.metadata.description } : {}),
      labels: sortedRecord(raw.metadata.labels),
      target: raw.spec.target,
      repository: repositoryIdentity(repositoryRoot(locate.file(["metadata", "name"]))),
      containers,
      domains: domains.sort((a, b) => byText(a.name, b.name)),
      files,
    },
  };
}

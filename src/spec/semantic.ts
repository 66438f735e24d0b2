import { readFileSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { Diagnostic, PathSegment } from "./diagnostics.js";
import { formatPath } from "./diagnostics.js";
import type { Locator } from "./locate.js";
import type { ContainerSpec, FileSpec, RawManifest, ServiceSpec } from "./model.js";
import { imageTag, parsePort, sortedRecord } from "./model.js";

/**
 * The rules JSON Schema cannot express, applied to a schema-valid manifest, and the
 * normalization into the desired model. All problems are returned, not just the first.
 */
export function checkAndNormalize(
  raw: RawManifest,
  locate: Locator,
  files: string[],
): { service?: ServiceSpec; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const report = (severity: Diagnostic["severity"], path: PathSegment[], message: string, hint?: string) => {
    diagnostics.push({
      severity,
      ...locate.value(path),
      path: formatPath(path),
      message,
      ...(hint ? { hint } : {}),
    });
  };
  const error = (path: PathSegment[], message: string, hint?: string) => report("error", path, message, hint);

  const firstByName = new Map<string, number>();
  const firstByImage = new Map<string, number>();
  const containerPorts = new Map<string, string>();
  const hostPorts = new Map<string, string>();

  const containers: ContainerSpec[] = raw.spec.containers.map((c, i) => {
    const at = (...rest: PathSegment[]): PathSegment[] => ["spec", "containers", i, ...rest];
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
    if (!digest && (tag === undefined || tag === "latest")) {
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

    const targets = new Set<string>();
    const files: FileSpec[] = (c.files ?? []).map((f, n) => {
      const source = resolve(dirname(locate.file(at("files", n, "source"))), f.source);
      let content = "";
      try {
        if (!statSync(source).isFile()) {
          error(
            at("files", n, "source"),
            `"${f.source}" is not a file`,
            "point source at a file, not a directory",
          );
        } else content = readFileSync(source, "utf8");
      } catch {
        error(
          at("files", n, "source"),
          `file "${f.source}" does not exist (looked for ${source})`,
          "paths are relative to the manifest that names them",
        );
      }
      if (targets.has(f.target))
        error(at("files", n, "target"), `target "${f.target}" is mounted twice in this container`);
      targets.add(f.target);
      return { source, target: f.target, content };
    });

    return {
      name: c.name,
      image: c.image,
      units: c.units ?? 1,
      ports: ports.sort((a, b) => a.container - b.container || a.protocol.localeCompare(b.protocol)),
      env: sortedRecord(
        Object.fromEntries(
          Object.entries(c.env ?? {}).map(([k, v]) => [
            k,
            typeof v === "string" ? { value: v } : { secret: v.secret },
          ]),
        ),
      ),
      ...(c.storage !== undefined ? { storage: c.storage } : {}),
      ...(c.command !== undefined ? { command: c.command } : {}),
      ...(c.args !== undefined ? { args: c.args } : {}),
      files: files.sort((a, b) => a.target.localeCompare(b.target)),
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
      containers,
      domains: domains.sort((a, b) => a.name.localeCompare(b.name)),
      files,
    },
  };
}

/** The last two labels of a domain: the group the platform's https-at-first-bind rule applies to. */
export function baseDomain(name: string): string {
  return name.split(".").slice(-2).join(".");
}

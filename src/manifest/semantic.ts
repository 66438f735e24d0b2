import { readFileSync, realpathSync, statSync } from "node:fs";
import { dirname, relative, resolve, sep } from "node:path";
import { imageTag, registryOf } from "../platform/image.js";
import { sortedRecord } from "../util/sorted.js";
import type { Diagnostic, PathSegment } from "./diagnostics.js";
import { diagnostic, formatPath } from "./diagnostics.js";
import type { Locator } from "./locate.js";
import { MARK_PREFIX } from "./marks.js";
import type {
  BuildSpec,
  ContainerSpec,
  FileSpec,
  PortSpec,
  RawContainer,
  RawManifest,
  Readiness,
  ServiceSpec,
} from "./model.js";
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

  for (const key of Object.keys(raw.metadata.labels ?? {})) {
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

    const targets = new Set<string>();
    const files: FileSpec[] = (c.files ?? []).map((f, n) => {
      const manifest = locate.file(at("files", n, "source"));
      const source = resolve(dirname(manifest), f.source);
      const read = readSource(f.source, source, repositoryRoot(manifest), options.allowOutside ?? false);
      const content = "content" in read ? read.content : "";
      if ("message" in read) error(at("files", n, "source"), read.message, read.hint);
      if (targets.has(f.target))
        error(at("files", n, "target"), `target "${f.target}" is mounted twice in this container`);
      targets.add(f.target);
      return { source, target: f.target, content, ...(f.sensitive ? { sensitive: true } : {}) };
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
      ...(ready !== undefined ? { ready } : {}),
      ...(c.command !== undefined ? { command: c.command } : {}),
      ...(c.args !== undefined ? { args: c.args } : {}),
      files: files.sort((a, b) => a.target.localeCompare(b.target)),
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
      domains: domains.sort((a, b) => a.name.localeCompare(b.name)),
      files,
    },
  };
}

/** The last two labels of a domain: the group the platform's https-at-first-bind rule applies to. */
/** A config file's content is sent in API bodies: bounded, and text. */
const MAX_FILE_BYTES = 1024 * 1024;

/**
 * A `files[].source`, read only if it is a regular text file inside the repository (symlinks
 * resolved): a manifest in a pull request must not make svc read /proc/self/environ, a device,
 * or a file elsewhere on the machine into a plan.
 */
function readSource(
  written: string,
  source: string,
  root: string,
  allowOutside: boolean,
): { content: string } | { message: string; hint: string } {
  let real: string;
  try {
    real = realpathSync(source);
  } catch {
    return {
      message: `file "${written}" does not exist (looked for ${source})`,
      hint: "paths are relative to the manifest that names them",
    };
  }
  if (/^\/(proc|sys|dev)(\/|$)/.test(real)) {
    return {
      message: `"${written}" resolves to ${real}, a system file`,
      hint: "point source at a file in the repository",
    };
  }
  const inside = !relative(root, real).startsWith("..") && (real === root || real.startsWith(root + sep));
  if (!allowOutside && !inside) {
    return {
      message: `"${written}" resolves to ${real}, outside the repository (${root})`,
      hint: "keep config files in the repository, or pass --allow-outside",
    };
  }
  const stat = statSync(real);
  if (!stat.isFile()) {
    return {
      message: `"${written}" is not a regular file`,
      hint: "point source at a file, not a directory or device",
    };
  }
  if (stat.size > MAX_FILE_BYTES) {
    return {
      message: `"${written}" is ${stat.size} bytes; a config file may have at most ${MAX_FILE_BYTES}`,
      hint: "the platform sends config files in its API calls: keep large data in the image or storage",
    };
  }
  try {
    return { content: new TextDecoder("utf-8", { fatal: true }).decode(readFileSync(real)) };
  } catch {
    return {
      message: `"${written}" is not UTF-8 text`,
      hint: "the platform API carries config files as text: keep binary data in the image, or encode it (base64) yourself",
    };
  }
}

/**
 * A container's `build`: a context directory inside the repository holding its Dockerfile, and an
 * image naming a registry to push to (with no digest: svc decides it).
 */
function buildSpec(
  c: RawContainer,
  manifest: string,
  allowOutside: boolean,
  error: (path: PathSegment[], message: string, hint?: string) => void,
): BuildSpec | undefined {
  const raw =
    typeof c.build === "string"
      ? { context: c.build }
      : (c.build as Exclude<RawContainer["build"], string | undefined>);
  const at = typeof c.build === "string" ? ["build"] : ["build", "context"];
  const context = resolve(dirname(manifest), raw.context);
  const dockerfile = (raw.dockerfile ?? "Dockerfile").replaceAll("\\", "/");
  let problems = false;
  const fail = (path: PathSegment[], message: string, hint?: string) => {
    problems = true;
    error(path, message, hint);
  };
  let real: string | undefined;
  try {
    real = realpathSync(context);
  } catch {
    fail(
      at,
      `build context "${raw.context}" does not exist (looked for ${context})`,
      "paths are relative to the manifest that names them",
    );
  }
  if (real !== undefined) {
    const root = repositoryRoot(manifest);
    const inside = real === root || real.startsWith(root + sep);
    if (!statSync(real).isDirectory())
      fail(
        at,
        `build context "${raw.context}" is not a directory`,
        "build: names the directory holding the Dockerfile",
      );
    else if (!allowOutside && !inside)
      fail(
        at,
        `build context "${raw.context}" resolves to ${real}, outside the repository (${root})`,
        "keep the context in the repository, or pass --allow-outside",
      );
    else if (dockerfile.split("/").includes("..") || !isFile(resolve(real, dockerfile)))
      fail(
        typeof c.build === "string" ? ["build"] : raw.dockerfile ? ["build", "dockerfile"] : ["build"],
        `no ${dockerfile} in the build context ${raw.context}`,
        raw.dockerfile
          ? "dockerfile is relative to the context"
          : "add a Dockerfile, or name it with build: { context, dockerfile }",
      );
  }
  const { digest } = imageTag(c.image);
  if (digest)
    fail(
      ["image"],
      `image "${c.image}" has a digest, but svc builds it`,
      "name the repository only (registry.example.com/team/web): svc pushes and deploys by digest",
    );
  else if (registryOf(c.image) === "docker.io" && !c.image.startsWith("docker.io/"))
    fail(
      ["image"],
      `image "${c.image}" names no registry to push the build to`,
      "name it with its registry: registry.example.com/team/web, ghcr.io/acme/web, or docker.io/you/web",
    );
  if (problems || real === undefined) return undefined;
  return {
    context: real,
    dockerfile,
    args: sortedRecord(raw.args ?? {}),
    ...(raw.target ? { target: raw.target } : {}),
  };
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

export function baseDomain(name: string): string {
  return name.split(".").slice(-2).join(".");
}

/**
 * A container's readiness check, resolved against its ports: the port it names must be one the
 * container publishes over tcp (an http check without a port uses the first).
 */
function readiness(
  raw: RawContainer["ready"],
  ports: PortSpec[],
  error: (message: string, hint: string) => void,
): Readiness | undefined {
  if (raw === undefined || raw === "none") return raw;
  if ("http" in raw && !/^\/\S*$/.test(raw.http)) {
    error(
      `readiness path "${raw.http}" must start with /, like /healthz`,
      "a path on the container's port, no spaces",
    );
    return undefined;
  }
  const tcp = ports.filter((p) => p.protocol === "tcp").map((p) => p.container);
  const port = "tcp" in raw ? raw.tcp : (raw.port ?? tcp[0]);
  if (port === undefined || !tcp.includes(port)) {
    error(
      port === undefined
        ? "an http readiness check needs a tcp port, and this container publishes none"
        : `readiness checks port ${port}, which this container does not publish over tcp`,
      tcp.length > 0 ? `its tcp ports: ${tcp.join(", ")}` : "add the port to ports, or use ready: none",
    );
    return undefined;
  }
  return "tcp" in raw ? { tcp: port } : { http: raw.http, port };
}

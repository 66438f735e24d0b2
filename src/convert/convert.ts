import { basename, dirname, isAbsolute, relative, resolve } from "node:path";
import { stringify } from "yaml";
import { envVar, SECRET_NAME, variableName } from "../credentials/names.js";
import { type Diagnostic, diagnostic } from "../manifest/diagnostics.js";
import { type RawContainer, type RawManifest, toName } from "../manifest/model.js";
import { parseManifest } from "../manifest/source.js";
import { registryOf } from "../platform/image.js";

/** A key of the source that the manifest cannot carry, and why. */
export interface Dropped {
  path: string;
  reason: string;
}

export interface Conversion {
  manifest: RawManifest;
  dropped: Dropped[];
  /** Things the user must do by hand (e.g. store a token with svc login). */
  notes: string[];
  /** Config files rewritten (sibling hosts → localhost), to write beside the manifest. */
  rewritten?: { container: string; target: string; from: string; content: string }[];
}

export type ConvertedSource =
  | {
      ok: true;
      format: "vkube" | "compose";
      conversion: Conversion;
      text: string;
      vkubeToken?: string;
      /** Files the manifest mounts that the converter wrote (rewritten copies), to save beside it. */
      writes: { path: string; content: string }[];
    }
  | { ok: false; diagnostics: Diagnostic[] };

/**
 * A VKubefile or compose file's text as a service.yaml's, read within the manifest loader's limits
 * (untrusted input, like a manifest). File sources are rewritten relative to `outDir`, where the
 * manifest will live. Pure but for `kindOf`, which says what a source path is on disk.
 */
export function convertSource(
  text: string,
  source: { file: string; absolute: string },
  options: Omit<ConvertOptions, "target"> & {
    /** Default: local for a compose file, the service's name for a VKubefile. */
    target?: string;
    outDir: string;
    kindOf: (path: string) => "file" | "dir" | undefined;
    /** The manifest is written (-o): rewritten config files can be saved beside it. */
    writesFiles?: boolean;
  },
): ConvertedSource {
  const parsed = parseManifest(text, source.file, source.absolute, undefined);
  if (parsed.diagnostics.some((d) => d.severity === "error"))
    return { ok: false, diagnostics: parsed.diagnostics };
  const doc = parsed.value;
  const format = detectFormat(doc);
  if (!format) {
    return {
      ok: false,
      diagnostics: [
        diagnostic(
          { file: source.file, line: 1, column: 1 },
          "neither a VKubefile (Kind: vkube) nor a compose file (services:)",
          "svc convert reads those two formats; write other manifests by hand (svc init)",
        ),
      ],
    };
  }
  const map = doc as Any;
  // A VKubefile's service is a real one: `local` would point its login at the local platform.
  const target = options.target ?? (format === "vkube" ? options.name : "local");
  const withTarget = { ...options, target };
  const conversion =
    format === "vkube" ? fromVKubefile(map, withTarget) : fromCompose(map, withTarget, options.kindOf);
  // File sources are relative to the source file; the manifest's are relative to itself.
  const sourceDir = dirname(source.absolute);
  const fromManifest = (path: string) => {
    const rel = relative(options.outDir, isAbsolute(path) ? path : resolve(sourceDir, path));
    return rel.startsWith(".") ? rel : `./${rel}`;
  };
  // A config file naming siblings is saved as a rewritten copy beside the manifest (never over
  // the original); printed to standard output, the manifest keeps the original and a note says so.
  const writes: { path: string; content: string }[] = [];
  for (const r of options.writesFiles ? (conversion.rewritten ?? []) : []) {
    const name = basename(r.from).replace(/(\.[^.]*)?$/, ".localhost$1");
    const path = resolve(options.outDir, name);
    writes.push({ path, content: r.content });
    const file = conversion.manifest.spec.containers
      .find((c) => c.name === r.container)
      ?.files?.find((f) => f.target === r.target);
    if (file) file.source = path;
    conversion.notes.push(
      `${r.from} is mounted as ${name}, written beside the manifest with those hosts as localhost`,
    );
  }
  for (const c of conversion.manifest.spec.containers) {
    for (const f of c.files ?? []) f.source = fromManifest(f.source);
    // So is a build context.
    if (typeof c.build === "string") c.build = fromManifest(c.build);
    else if (c.build) c.build.context = fromManifest(c.build.context);
  }
  const origin = format === "vkube" ? "VKubefile" : "docker compose";
  return {
    ok: true,
    format,
    conversion,
    writes,
    text: `# Converted by svc from ${basename(source.absolute)} (${origin}).\n${stringify(conversion.manifest, { lineWidth: 0 })}`,
    ...(format === "vkube" && map.vkubeToken !== undefined ? { vkubeToken: String(map.vkubeToken) } : {}),
  };
}

export interface ConvertOptions {
  name: string;
  target: string;
  /** compose profiles to include (services with other profiles are left out). */
  profiles?: string[];
  /** `--split`: convert only this compose service (by container name), as a service of its own. */
  only?: string;
  /** A text file beside the source (env_file:), or undefined when it cannot be read. */
  readText?: (path: string) => string | undefined;
  /** Secrets svc holds, by value: an env value equal to one becomes a reference to it. */
  held?: ReadonlyMap<string, string>;
}

type Any = Record<string, unknown>;
const isMap = (v: unknown): v is Any => typeof v === "object" && v !== null && !Array.isArray(v);

function detectFormat(doc: unknown): "vkube" | "compose" | undefined {
  if (!isMap(doc)) return undefined;
  const kind = doc.Kind ?? doc.kind;
  if (typeof kind === "string" && kind.toLowerCase() === "vkube") return "vkube";
  if (isMap(doc.services)) return "compose";
  return undefined;
}

function manifest(options: ConvertOptions, containers: RawContainer[]): RawManifest {
  return {
    apiVersion: "svc/v1",
    kind: "Service",
    metadata: { name: options.name },
    spec: { target: options.target, containers },
  };
}

// ---------- VKubefile ----------

const VKUBE_TOP = new Set(["Kind", "kind", "imageRegistry", "containers", "vkubeToken"]);
const VKUBE_CONTAINER = new Set([
  "imageName",
  "tag",
  "registryImagePath",
  "localImagePath",
  "build",
  "deploy",
]);
/** vkube's imageRegistry names a registry ("docker" or "ghcr"; docker by default), not a path. */
const VKUBE_REGISTRIES: Record<string, string> = {
  docker: "docker.io",
  "docker.io": "docker.io",
  ghcr: "ghcr.io",
  "ghcr.io": "ghcr.io",
};
const VKUBE_DEPLOY = new Set([
  "containerName",
  "resourceUnit",
  "ports",
  "env",
  "command",
  "args",
  "configurations",
  "persistStorage",
]);

/** A VKubefile (the vkube deploy tool's format) as a svc manifest. */
function fromVKubefile(doc: Any, options: ConvertOptions): Conversion {
  const dropped: Dropped[] = [];
  const notes: string[] = [];
  for (const key of Object.keys(doc))
    if (!VKUBE_TOP.has(key)) dropped.push({ path: key, reason: "no svc equivalent" });
  if (doc.vkubeToken !== undefined) {
    notes.push(
      `the VKubefile holds a vkubeToken: it is not copied; store it with \`svc login ${options.target}\` (paste it when asked), or set ${envVar("target", options.target)} in CI`,
    );
  }
  const registry =
    VKUBE_REGISTRIES[
      String(doc.imageRegistry ?? "docker")
        .trim()
        .toLowerCase() || "docker"
    ];
  if (!registry) dropped.push({ path: "imageRegistry", reason: 'vkube knows "docker" and "ghcr"' });
  const containers = (Array.isArray(doc.containers) ? doc.containers : []).map((raw, i): RawContainer => {
    const c = isMap(raw) ? raw : {};
    const at = `containers[${i}]`;
    for (const key of Object.keys(c))
      if (!VKUBE_CONTAINER.has(key)) dropped.push({ path: `${at}.${key}`, reason: "no svc equivalent" });
    const deploy = isMap(c.deploy) ? c.deploy : {};
    for (const key of Object.keys(deploy))
      if (!VKUBE_DEPLOY.has(key)) dropped.push({ path: `${at}.deploy.${key}`, reason: "no svc equivalent" });
    const name = toName(
      String(deploy.containerName ?? c.imageName ?? `c${i}`)
        .split("/")
        .at(-1) ?? "",
    );
    const out: RawContainer = { name, image: vkubeImage(c, name, registry, at, notes) };
    if (isMap(c.build) && typeof c.build.dockerfilePath === "string") {
      // vkube builds with the directory it runs in as the context: the VKubefile's, here.
      out.build = { context: ".", dockerfile: c.build.dockerfilePath };
      for (const key of Object.keys(c.build))
        if (key !== "dockerfilePath")
          dropped.push({
            path: `${at}.build.${key}`,
            reason: "svc builds the Dockerfile as it is (no SSH install)",
          });
    }
    const units = Number(deploy.resourceUnit ?? 1);
    if (units !== 1) out.units = units as RawContainer["units"];
    const ports = portsFrom(deploy.ports, `${at}.deploy.ports`, dropped);
    if (ports.length) out.ports = ports;
    const env = secretsOut(envFrom(deploy.env, `${at}.deploy.env`, dropped), options, name, notes);
    if (Object.keys(env).length) out.env = env;
    if (Array.isArray(deploy.command) && deploy.command.length) out.command = deploy.command.map(String);
    if (Array.isArray(deploy.args) && deploy.args.length) out.args = deploy.args.map(String);
    const storage = deploy.persistStorage;
    if (typeof storage === "string" && storage.startsWith("/")) out.storage = storage;
    else if (isMap(storage) && typeof storage.mountPath === "string") out.storage = storage.mountPath;
    else if (storage !== undefined && storage !== false && storage !== "") {
      dropped.push({
        path: `${at}.deploy.persistStorage`,
        reason: "expected a mount path (an absolute path)",
      });
    }
    const files = configurationsFrom(deploy.configurations, `${at}.deploy.configurations`, dropped, notes);
    if (files.length) out.files = files;
    return out;
  });
  return { manifest: manifest(options, containers), dropped, notes };
}

/**
 * A VKubefile container's image, as the vkube tool resolves it: registryImagePath is a full
 * reference (Docker Hub when it names no registry); localImagePath an image on the machine;
 * imageName and tag an image in the account vkube is configured with, which the file does not
 * name — asked for as a variable.
 */
function vkubeImage(c: Any, name: string, registry: string | undefined, at: string, notes: string[]): string {
  const tag = c.tag !== undefined && c.tag !== "" ? String(c.tag) : "latest";
  const withTag = (ref: string) => (/:[^/]+$|@/.test(ref) || c.tag === undefined ? ref : `${ref}:${tag}`);
  if (typeof c.registryImagePath === "string" && c.registryImagePath) return withTag(c.registryImagePath);
  if (typeof c.localImagePath === "string" && c.localImagePath) {
    notes.push(
      `${at} runs the local image ${c.localImagePath}: push it to a registry the platform can pull from`,
    );
    return c.localImagePath;
  }
  const variable = imageVariable(name);
  const where = `${registry ?? "docker.io"}/<account>/${String(c.imageName ?? name)}${isMap(c.build) ? "" : `:${tag}`}`;
  notes.push(
    isMap(c.build)
      ? `${at} is built by vkube and pushed to the account vkube is configured with: set ${variable} to that repository (${where})`
      : `${at} names its image in the account vkube is configured with: set ${variable} to it (${where})`,
  );
  return `\${${variable}}`;
}

function configurationsFrom(
  value: unknown,
  at: string,
  dropped: Dropped[],
  notes: string[],
): { source: string; target: string }[] {
  if (value === undefined) return [];
  const list = Array.isArray(value)
    ? value
    : isMap(value)
      ? // vkube's form: local file → mount path.
        Object.entries(value).map(([k, v]) => ({ file: k, path: v }))
      : [];
  const out: { source: string; target: string }[] = [];
  list.forEach((item, i) => {
    const c = isMap(item) ? item : {};
    const target = c.mountPath ?? c.path ?? c.target ?? c.configMountPath;
    const source = c.file ?? c.source ?? c.localPath;
    if (typeof target === "string" && typeof source === "string") out.push({ source, target });
    else if (typeof target === "string" && typeof c.content === "string") {
      notes.push(`${at}[${i}] has inline content for ${target}: save it to a file and add it under files`);
      dropped.push({
        path: `${at}[${i}].content`,
        reason: "svc mounts config files from local files, not inline text",
      });
    } else dropped.push({ path: `${at}[${i}]`, reason: "needs a local file and a target path" });
  });
  return out;
}

// ---------- docker compose ----------

const COMPOSE_SERVICE = new Set([
  "image",
  "ports",
  "environment",
  "volumes",
  "command",
  "entrypoint",
  "configs",
  "container_name",
  "build",
  "env_file",
  "secrets",
  "profiles",
]);
const COMPOSE_REASONS: Record<string, string> = {
  depends_on: "the containers of a service start together and share one network",
  restart: "the platform restarts containers itself",
  networks: "the containers of a service share one network",
  healthcheck: "apply waits for running containers and answering ports instead",
  deploy: "resources are set as units",
  expose: "containers share one network: every port is reachable from the others",
  labels: "container labels have no svc equivalent (service labels are in metadata.labels)",
};

/** A docker-compose file: its services become the containers of one svc service. */
function fromCompose(
  doc: Any,
  options: ConvertOptions,
  sourceExists: (path: string) => "file" | "dir" | undefined,
): Conversion {
  const dropped: Dropped[] = [];
  const notes: string[] = [];
  for (const key of Object.keys(doc)) {
    // x- keys are compose's extension fields: anchors for merge keys, ignored by compose itself.
    if (
      !["services", "volumes", "configs", "secrets", "version", "name"].includes(key) &&
      !key.startsWith("x-")
    )
      dropped.push({ path: key, reason: "no svc equivalent" });
  }
  const topConfigs = isMap(doc.configs) ? doc.configs : {};
  const topSecrets = isMap(doc.secrets) ? doc.secrets : {};
  // Services compose starts only with --profile: left out unless a --profile names them.
  const chosen = new Set(options.profiles ?? []);
  const services = Object.entries(doc.services as Any).filter(([serviceName, raw]) => {
    const profiles = isMap(raw) && Array.isArray(raw.profiles) ? raw.profiles.map(String) : [];
    if (profiles.length === 0 || profiles.some((p) => chosen.has(p))) return true;
    dropped.push({
      path: `services.${serviceName}`,
      reason: `compose starts it only with --profile ${profiles.join(" or ")}: pass the same --profile to convert it`,
    });
    return false;
  });
  const siblings = new Set(
    services.flatMap(([serviceName, raw]) => [
      serviceName,
      ...(isMap(raw) && typeof raw.container_name === "string" ? [raw.container_name] : []),
      ...(isMap(raw) && typeof raw.hostname === "string" ? [raw.hostname] : []),
    ]),
  );
  const converted = options.only ? services.filter(([n]) => toName(n) === options.only) : services;
  const rewritten: NonNullable<Conversion["rewritten"]> = [];
  const containers = converted.map(([serviceName, raw]): RawContainer => {
    const s = isMap(raw) ? raw : {};
    const at = `services.${serviceName}`;
    for (const key of Object.keys(s)) {
      if (!COMPOSE_SERVICE.has(key) && !key.startsWith("x-"))
        dropped.push({ path: `${at}.${key}`, reason: COMPOSE_REASONS[key] ?? "no svc equivalent" });
    }
    const out: RawContainer = {
      name: toName(serviceName),
      image: typeof s.image === "string" ? s.image : "",
    };
    const build = buildable(
      buildFrom(s.build, `${at}.build`, dropped),
      out.image,
      `${at}.build`,
      dropped,
      sourceExists,
    );
    if (build) out.build = build;
    if (!out.image) {
      // Asked for by name when the manifest is read: ${WEB_IMAGE} until it is set.
      const variable = imageVariable(out.name);
      out.image = `\${${variable}}`;
      notes.push(
        build
          ? `${at} only builds: set ${variable} to the repository svc pushes the build to (registry.example.com/team/${out.name}), or write it under image`
          : `${at} has no image: set ${variable} to the image to run, or write it under image`,
      );
    }
    const ports = portsFrom(s.ports, `${at}.ports`, dropped);
    if (ports.length) out.ports = ports;
    const passed: string[] = [];
    const env = secretsOut(
      localhostFor(
        {
          ...envFiles(s.env_file, `${at}.env_file`, dropped, notes, options.readText),
          ...envFrom(s.environment, `${at}.environment`, dropped, passed),
        },
        siblings,
        `${at}.environment`,
        notes,
        !options.only,
      ),
      options,
      out.name,
      notes,
    );
    if (passed.length)
      notes.push(
        `${at} passes ${passed.join(", ")} through from the environment, as compose does: set ${passed.length === 1 ? "it" : "them"} where svc runs (svc interpolates \${${passed[0]}})`,
      );
    if (Object.keys(env).length) out.env = env;
    const entrypoint = words(s.entrypoint);
    const command = words(s.command);
    if (entrypoint.length) {
      out.command = entrypoint;
      if (command.length) out.args = command;
    } else if (command.length) out.args = command;
    const files: { source: string; target: string; sensitive?: boolean }[] = [];
    for (const [i, v] of (Array.isArray(s.volumes) ? s.volumes : []).entries()) {
      const spec = typeof v === "string" ? v : isMap(v) ? `${v.source ?? ""}:${v.target ?? ""}` : "";
      const [source = "", target = ""] = spec.split(":");
      const path = `${at}.volumes[${i}]`;
      if (!target.startsWith("/")) dropped.push({ path, reason: "anonymous volumes have no svc equivalent" });
      else if (source.startsWith("~"))
        dropped.push({
          path,
          reason: `${source} is in the home directory of the machine compose runs on: copy the file into the repository and mount it from there`,
        });
      else if (source.startsWith(".") || source.startsWith("/")) {
        if (sourceExists(source) === "file") files.push({ source, target });
        else
          dropped.push({
            path,
            reason: "only single files can be mounted (as config files); directories cannot",
          });
      } else if (out.storage === undefined) out.storage = target;
      else dropped.push({ path, reason: "a container has one persistent storage mount" });
    }
    // compose secrets are files under /run/secrets: a sensitive config file keeps them out of plans.
    for (const [i, c] of (Array.isArray(s.secrets) ? s.secrets : []).entries()) {
      const name = typeof c === "string" ? c : isMap(c) ? String(c.source ?? "") : "";
      const target =
        isMap(c) && typeof c.target === "string"
          ? c.target.startsWith("/")
            ? c.target
            : `/run/secrets/${c.target}`
          : `/run/secrets/${name}`;
      const def = topSecrets[name];
      if (isMap(def) && typeof def.file === "string")
        files.push({ source: def.file, target, sensitive: true });
      else
        dropped.push({
          path: `${at}.secrets[${i}]`,
          reason:
            "only secrets with file: can be converted (as a sensitive config file); an environment: secret can be a { secret: } env value",
        });
    }
    for (const [i, c] of (Array.isArray(s.configs) ? s.configs : []).entries()) {
      const name = typeof c === "string" ? c : isMap(c) ? String(c.source ?? "") : "";
      const target = isMap(c) && typeof c.target === "string" ? c.target : `/${name}`;
      const def = topConfigs[name];
      if (isMap(def) && typeof def.file === "string") files.push({ source: def.file, target });
      else dropped.push({ path: `${at}.configs[${i}]`, reason: "only configs with file: can be converted" });
    }
    if (files.length) out.files = files;
    // A config file naming a sibling (proxy_pass http://api:8080): each line listed; in one pod,
    // a copy with localhost is mounted instead (convertSource writes it beside the manifest).
    for (const f of files) {
      const content = options.readText?.(f.source) ?? "";
      const mentions = siblingMentions(content, siblings);
      for (const m of mentions) {
        notes.push(
          options.only
            ? `${f.source} line ${m.line} names the service ${m.name} (${m.text}): a service of its own now: point it at that service's domain or host port`
            : `${f.source} line ${m.line}: ${m.text} → ${m.rewritten} (the containers share localhost)`,
        );
      }
      if (mentions.length > 0 && !options.only)
        rewritten.push({
          container: out.name,
          target: f.target,
          from: f.source,
          content: rewriteSiblings(content, siblings),
        });
    }
    return out;
  });
  notes.push(...onePodLimits(containers));
  return { manifest: manifest(options, containers), dropped, notes, rewritten };
}

/** The platform runs one pod per service: at most 16 containers, each image and port once. */
const MAX_CONTAINERS = 16;

/**
 * What keeps a compose project from being one svc service, said before validation fails on it:
 * the same image or container port in two services, more containers than a pod holds.
 */
function onePodLimits(containers: RawContainer[]): string[] {
  const out: string[] = [];
  const shared = (keys: (c: RawContainer) => string[]) => {
    const by = new Map<string, string[]>();
    for (const c of containers) for (const k of new Set(keys(c))) by.set(k, [...(by.get(k) ?? []), c.name]);
    return [...by].filter(([, names]) => names.length > 1);
  };
  for (const [image, names] of shared((c) => [c.image]))
    out.push(
      `${names.join(" and ")} run the same image ${image}: a service runs each image once, so put all but one in manifests of their own (their own targets): svc convert --split -o DIR writes one per compose service`,
    );
  const portOf = (p: string | number | object) =>
    String(p)
      .replace(/^.*:/, "")
      .replace(/^(\d+)$/, "$1/tcp");
  for (const [port, names] of shared((c) => (c.ports ?? []).map(portOf)))
    out.push(
      `${names.join(" and ")} both listen on container port ${port}: the containers of a service share one network, so change one, or give it a manifest of its own (svc convert --split -o DIR)`,
    );
  if (containers.length > MAX_CONTAINERS)
    out.push(
      `${containers.length} services: a pod holds at most ${MAX_CONTAINERS} containers, so split them into several manifests (several targets): svc convert --split -o DIR`,
    );
  return out;
}

/** A build svc can run: its Dockerfile is there, and the image (if named) has a registry to push to. */
function buildable(
  build: RawContainer["build"],
  image: string,
  at: string,
  dropped: Dropped[],
  sourceExists: (path: string) => "file" | "dir" | undefined,
): RawContainer["build"] {
  if (build === undefined) return undefined;
  const { context, dockerfile = "Dockerfile" } = typeof build === "string" ? { context: build } : build;
  if (sourceExists(`${context.replace(/\/+$/, "")}/${dockerfile}`) !== "file") {
    dropped.push({ path: at, reason: `no ${dockerfile} in the context ${context}` });
    return undefined;
  }
  if (image && registryOf(image) === "docker.io" && !image.startsWith("docker.io/")) {
    dropped.push({
      path: at,
      reason: `image ${image} names no registry to push the build to: svc deploys it as named`,
    });
    return undefined;
  }
  return build;
}

/**
 * Sibling services' hostnames in env values (`DB_HOST: db`, `postgres://u@db:5432`): the
 * containers of one svc service share localhost, so each becomes `localhost`, and is listed.
 */
function localhostFor(
  env: Record<string, string>,
  siblings: ReadonlySet<string>,
  at: string,
  notes: string[],
  /** false with --split: the siblings are services of their own, not on localhost. */
  rewrite = true,
): Record<string, string> {
  if (siblings.size === 0) return env;
  const host = new RegExp(`(^|[/@=,\\s]|^[a-z]+://)(${alternation(siblings)})(?=$|[:/,\\s?])`, "g");
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    const rewritten = v.replace(host, "$1localhost");
    if (rewritten !== v && rewrite)
      notes.push(`${at}.${k}: ${v} → ${rewritten} (the containers share localhost)`);
    else if (rewritten !== v)
      notes.push(
        `${at}.${k} (${v}) names a sibling service, which is a service of its own now: point it at that service's domain or host port`,
      );
    out[k] = rewrite ? rewritten : v;
  }
  return out;
}

/** The sibling names as one regular-expression alternation, each taken literally. */
function alternation(names: ReadonlySet<string>): string {
  return [...names].map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|");
}

/** `${WEB_IMAGE}`'s name: the variable a converted manifest asks for when it knows no image. */
function imageVariable(container: string): string {
  return `${variableName(container)}_IMAGE`;
}

/** Where a config file names a sibling service as a host: `//api`, `@db`, `cache:6379`. */
function siblingHosts(siblings: ReadonlySet<string>): RegExp {
  const names = alternation(siblings);
  return new RegExp(`(//|@)(${names})(?=$|[:/;"'\\s])|(^|[\\s"'=(])(${names})(?=:\\d{2,5}\\b)`, "g");
}

function rewriteSiblings(text: string, siblings: ReadonlySet<string>): string {
  return text.replace(siblingHosts(siblings), (_m, a?: string, _b?: string, c?: string) =>
    a !== undefined ? `${a}localhost` : `${c ?? ""}localhost`,
  );
}

/** Lines of a config file that name a sibling service as a host, and the line with localhost. */
function siblingMentions(
  content: string,
  siblings: ReadonlySet<string>,
): { line: number; name: string; text: string; rewritten: string }[] {
  if (!content || siblings.size === 0) return [];
  const out: { line: number; name: string; text: string; rewritten: string }[] = [];
  content.split("\n").forEach((text, i) => {
    const m = new RegExp(siblingHosts(siblings).source).exec(text);
    if (m)
      out.push({
        line: i + 1,
        name: (m[2] ?? m[4]) as string,
        text: text.trim().slice(0, 120),
        rewritten: rewriteSiblings(text, siblings).trim().slice(0, 120),
      });
  });
  return out;
}

/** compose `env_file:` read and inlined (written environment: entries win over them). */
function envFiles(
  value: unknown,
  at: string,
  dropped: Dropped[],
  notes: string[],
  readText: ((path: string) => string | undefined) | undefined,
): Record<string, string> {
  const files = (Array.isArray(value) ? value : value === undefined ? [] : [value]).map((f) =>
    typeof f === "string" ? f : isMap(f) ? String(f.path ?? "") : "",
  );
  const out: Record<string, string> = {};
  files.forEach((file, i) => {
    const text = file ? readText?.(file) : undefined;
    const path = Array.isArray(value) ? `${at}[${i}]` : at;
    if (text === undefined) {
      dropped.push({
        path,
        reason: `${file || "the env file"} cannot be read: copy its values under environment`,
      });
      return;
    }
    for (const line of text.split(/\r?\n/)) {
      const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*?)\s*$/.exec(line);
      if (!m || line.trim().startsWith("#")) continue;
      const raw = m[2] ?? "";
      const quoted = /^(["'])(.*)\1$/.exec(raw);
      const v = quoted ? (quoted[2] ?? "") : raw.replace(/\s+#.*$/, "");
      if (v !== "") out[m[1] as string] = v;
    }
    notes.push(`${path}: the values of ${file} are written under env (secret-looking ones as { secret: })`);
  });
  return out;
}

/** compose `build:` (a context, or { context, dockerfile, args, target }) as svc's `build:`. */
function buildFrom(value: unknown, at: string, dropped: Dropped[]): RawContainer["build"] {
  if (value === undefined) return undefined;
  if (typeof value === "string") return value;
  if (!isMap(value)) {
    dropped.push({ path: at, reason: "expected a context directory or { context, dockerfile, args }" });
    return undefined;
  }
  const out: Exclude<RawContainer["build"], string | undefined> = {
    context: typeof value.context === "string" ? value.context : ".",
  };
  if (typeof value.dockerfile === "string") out.dockerfile = value.dockerfile;
  if (typeof value.target === "string") out.target = value.target;
  const args = Array.isArray(value.args)
    ? Object.fromEntries(value.args.map((a) => String(a).split(/=(.*)/s).slice(0, 2)))
    : isMap(value.args)
      ? Object.fromEntries(Object.entries(value.args).map(([k, v]) => [k, String(v ?? "")]))
      : {};
  if (Object.keys(args).length) out.args = args;
  for (const key of Object.keys(value))
    if (!["context", "dockerfile", "args", "target"].includes(key))
      dropped.push({ path: `${at}.${key}`, reason: "no svc equivalent" });
  return out;
}

// ---------- shared ----------

function portsFrom(value: unknown, at: string, dropped: Dropped[]): (string | number)[] {
  if (value === undefined) return [];
  const out: (string | number)[] = [];
  for (const [i, p] of (Array.isArray(value) ? value : []).entries()) {
    if (typeof p === "number") out.push(p);
    else if (typeof p === "string") {
      // [ip:][host:]container[/protocol]; an ip has dots, so "8080:80" keeps its host port. A
      // number may be a variable (${WEB_PORT:-8080}): svc interpolates manifests as compose does.
      const num = String.raw`(\d+|\$\{[A-Za-z_][A-Za-z0-9_]*(?::?-[0-9]*)?\})`;
      const m = new RegExp(`^(?:(\\d+\\.\\d+\\.\\d+\\.\\d+):)?(?:${num}:)?${num}(?:/(tcp|udp))?$`, "i").exec(
        p,
      );
      if (m?.[1]?.startsWith("127."))
        dropped.push({
          path: `${at}[${i}]`,
          reason: `port ${p} is bound to ${m[1]} (this machine only); the platform publishes ports to everyone, so it is left out: add it to ports if it should be public`,
        });
      else if (m) out.push(`${m[2] ? `${m[2]}:` : ""}${m[3]}${m[4] ? `/${m[4].toLowerCase()}` : ""}`);
      else
        dropped.push({ path: `${at}[${i}]`, reason: `port ${p}: ranges and other forms are not supported` });
    } else if (isMap(p)) {
      const container = Number(p.containerPort ?? p.target ?? p.container);
      const host = Number(p.hostPort ?? p.published ?? p.host ?? 0);
      const proto = String(p.protocol ?? "tcp").toLowerCase();
      if (container) out.push(`${host ? `${host}:` : ""}${container}/${proto}`);
      else dropped.push({ path: `${at}[${i}]`, reason: "no container port" });
      if (p.path !== undefined || p.rewrite !== undefined)
        dropped.push({
          path: `${at}[${i}].path`,
          reason: `the route ${String(p.path ?? "")} → ${String(p.rewrite ?? "")} has no svc equivalent: svc binds whole domains to a port (spec.domains)`,
        });
    }
  }
  return out;
}

/**
 * Secrets are never copied into the manifest: a value svc holds as a secret becomes a reference
 * to it, whatever the variable's name; a variable whose name looks secret becomes a
 * `{ secret: NAME }` reference, and a note says how to store the value.
 */
function secretsOut(
  env: Record<string, string>,
  { name: service, held }: ConvertOptions,
  container: string,
  notes: string[],
): Record<string, string | { secret: string }> {
  const out: Record<string, string | { secret: string }> = {};
  for (const [k, v] of Object.entries(env)) {
    const existing = held?.get(v);
    if (existing) {
      out[k] = { secret: existing };
      notes.push(
        `${container}.${k} holds the value of secret ${existing}: it refers to it, the value was not copied`,
      );
      continue;
    }
    // `*_PASSWORD_FILE=/run/secrets/x` names where the secret is, not the secret.
    if (!SECRET_NAME.test(k) || (/_FILE$/i.test(k) && v.startsWith("/"))) {
      out[k] = v;
      continue;
    }
    const secret = `${service}-${container}-${k}`
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, "-")
      .slice(0, 128);
    out[k] = { secret };
    notes.push(
      `${container}.${k} looks secret: its value was not copied; store it with \`svc secret set ${secret}\` (or ${envVar("secret", secret)} in CI)`,
    );
  }
  return out;
}

function envFrom(
  value: unknown,
  at: string,
  dropped: Dropped[],
  /** compose: a name without a value passes the variable through from where compose runs. */
  passThrough?: string[],
): Record<string, string> {
  const out: Record<string, string> = {};
  const put = (k: string, v: unknown, path: string) => {
    if ((v === null || v === undefined) && passThrough && /^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) {
      out[k] = `\${${k}}`;
      passThrough.push(k);
    } else if (v === null || v === undefined || v === "")
      dropped.push({ path, reason: "no value (svc needs non-empty values)" });
    else if (typeof v === "string" && /^\$\{[A-Za-z_][A-Za-z0-9_]*:?-\}$/.test(v))
      dropped.push({
        path,
        reason:
          "its default is empty, and svc env values are never empty: add it with a value if the container needs it",
      });
    else out[k] = String(v);
  };
  if (Array.isArray(value)) {
    value.forEach((e, i) => {
      if (typeof e === "string") {
        const eq = e.indexOf("=");
        put(eq > 0 ? e.slice(0, eq) : e, eq > 0 ? e.slice(eq + 1) : undefined, `${at}[${i}]`);
      } else if (isMap(e)) put(String(e.name), e.value, `${at}[${i}]`);
    });
  } else if (isMap(value)) for (const [k, v] of Object.entries(value)) put(k, v, `${at}.${k}`);
  return out;
}

/** compose command strings are split like a shell would, without running one. */
function words(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  if (typeof value !== "string") return [];
  return [...value.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3] ?? "");
}

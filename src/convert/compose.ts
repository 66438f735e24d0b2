import { type RawContainer, toName } from "../manifest/model.js";
import { registryOf } from "../platform/image.js";
import { buildFrom, envFiles, hostPathReason } from "./compose-fields.js";
import {
  type Any,
  type Conversion,
  type ConvertOptions,
  type Dropped,
  envFrom,
  imageVariable,
  isMap,
  joinedName,
  manifest,
  portsFrom,
  secretsOut,
  words,
} from "./fields.js";
import { onePodLimits } from "./groups.js";
import { elsewhereFor, hostsNamed, localhostFor, rewriteSiblings, siblingMentions } from "./siblings.js";

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
export function fromCompose(
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
  // One-shot services (a migration, an init job) run once and exit; the platform keeps every
  // container of a pod running, so they are listed with what to do, never run in the pod.
  const awaited = new Set(
    services.flatMap(([, raw]) =>
      isMap(raw) && isMap(raw.depends_on)
        ? Object.entries(raw.depends_on)
            .filter(([, d]) => isMap(d) && d.condition === "service_completed_successfully")
            .map(([name]) => name)
        : [],
    ),
  );
  const running = services.filter(([serviceName, raw]) => {
    const once =
      awaited.has(serviceName) ||
      (isMap(raw) && (raw.restart === "no" || raw.restart === false) && raw.ports === undefined);
    if (once)
      dropped.push({
        path: `services.${serviceName}`,
        reason:
          "a one-shot service (it runs once and exits; the platform keeps every container running): run its command once — as a verify run: check of the service that needs it, or before the app's own start in its command",
      });
    return !once;
  });
  const aliases = ([serviceName, raw]: [string, unknown]) => [
    serviceName,
    ...(isMap(raw) && typeof raw.container_name === "string" ? [raw.container_name] : []),
    ...(isMap(raw) && typeof raw.hostname === "string" ? [raw.hostname] : []),
  ];
  const siblings = new Set(running.flatMap(aliases));
  /** Which compose service (its container name) a hostname is, lower-case. */
  const serviceOf = new Map(running.flatMap((r) => aliases(r).map((a) => [a.toLowerCase(), toName(r[0])])));
  // The services in this manifest: one group of several (grouping), one (--split), or all.
  const here = (serviceName: string) =>
    options.group
      ? options.group.members.includes(toName(serviceName))
      : options.only
        ? toName(serviceName) === options.only
        : true;
  const converted = running.filter(([n]) => here(n));
  // In a group, the containers share localhost; the others are services of their own, reached at
  // an address given as a variable (${API_HOST}) once they are deployed.
  const local = options.group ? new Set(converted.flatMap(aliases)) : siblings;
  const elsewhere = new Set(options.group ? running.filter(([n]) => !here(n)).flatMap(aliases) : []);
  const links: Record<string, string[]> = {};
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
    const written = {
      ...envFiles(s.env_file, `${at}.env_file`, dropped, notes, options.readText),
      ...envFrom(s.environment, `${at}.environment`, dropped, passed),
    };
    const dependsOn = Array.isArray(s.depends_on)
      ? s.depends_on.map(String)
      : isMap(s.depends_on)
        ? Object.keys(s.depends_on)
        : [];
    links[out.name] = [
      ...new Set([
        ...Object.values(written).flatMap((v) => hostsNamed(v, siblings)),
        ...dependsOn.map((d) => d.toLowerCase()),
      ]),
    ].flatMap((h) => serviceOf.get(h) ?? []);
    const env = secretsOut(
      elsewhereFor(
        localhostFor(written, local, `${at}.environment`, notes, !options.only),
        elsewhere,
        (host) => options.group?.elsewhere.get(serviceOf.get(host) ?? "") ?? { variable: "", service: "" },
        `${at}.environment`,
        notes,
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
      else if (source.startsWith("/")) dropped.push({ path, reason: hostPathReason(source) });
      else if (source.startsWith(".")) {
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
      if (isMap(def) && typeof def.file === "string" && sourceExists(def.file) !== "file")
        dropped.push({
          path: `${at}.secrets[${i}]`,
          reason: `${def.file} is not in this checkout (kept out of git, as secrets should be), and svc mounts only files in the repository: if the image also reads the value from a variable, store it with \`svc secret set ${joinedName(options.name, name)} < ${def.file}\` and refer to it as { secret: ${joinedName(options.name, name)} } under env`,
        });
      else if (isMap(def) && typeof def.file === "string")
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
      const mentions = siblingMentions(content, local);
      for (const m of siblingMentions(content, elsewhere))
        notes.push(
          `${f.source} line ${m.line} names ${m.name} (${m.text}), which runs in the service ${options.group?.elsewhere.get(serviceOf.get(m.name.toLowerCase()) ?? "")?.service}: point it at that service's address`,
        );
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
          content: rewriteSiblings(content, local),
        });
    }
    return out;
  });
  const limits = onePodLimits(containers);
  notes.push(...limits);
  return { manifest: manifest(options, containers), dropped, notes, rewritten, links, limits };
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

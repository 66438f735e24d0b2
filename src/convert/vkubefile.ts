import { envVar } from "../credentials/names.js";
import { type RawContainer, toName } from "../manifest/model.js";
import { registryOf } from "../platform/image.js";
import type { Any, Conversion, ConvertOptions, Dropped } from "./fields.js";
import { envFrom, imageVariable, isMap, manifest, portsFrom, secretsOut } from "./fields.js";

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
export function fromVKubefile(doc: Any, options: ConvertOptions): Conversion {
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
      // svc pushes a build to the registry the image names; vkube's `acme/web` is Docker Hub's.
      if (
        !out.image.startsWith("${") &&
        registryOf(out.image) === "docker.io" &&
        !out.image.startsWith("docker.io/")
      ) {
        if (out.image.split(":")[0]?.includes("/")) {
          notes.push(
            `${at}: ${out.image} is on Docker Hub, so it is written docker.io/${out.image} (svc pushes a build to the registry the image names)`,
          );
          out.image = `docker.io/${out.image}`;
        } else {
          const variable = imageVariable(name);
          notes.push(
            `${at} builds ${out.image}, which names no account to push to: set ${variable} to the repository svc pushes the build to (docker.io/you/${out.image.split(":")[0]}, ghcr.io/…)`,
          );
          out.image = `\${${variable}}`;
        }
      }
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

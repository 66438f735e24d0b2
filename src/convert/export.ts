import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { stringify } from "yaml";
import type { Credentials } from "../credentials/credentials.js";
import { envVar, nameProblem, SECRET_NAME } from "../credentials/names.js";
import { ExitCode, UserError } from "../errors.js";
import { MARK_PREFIX, markOf } from "../manifest/marks.js";
import { specifiedPorts } from "../platform/adapt.js";
import type { LiveContainer, LiveDomain, ObservedState, UserService } from "../platform/model.js";
import { joinedName } from "./fields.js";

export interface ExportResult {
  target: string;
  file?: string;
  files: string[];
  secrets: string[];
  /** The manifest as written (secrets as references), also with --json. */
  manifest: string;
}

/**
 * A live service as a manifest that plans as No changes: the mapping back from what a provider
 * shows to svc's manifest (convert.ts maps other tools' files to it). Env values that look secret
 * become { secret: NAME } references (to a secret svc holds with that value, else a new one
 * stored in the keychain), config files are written under files/<container>/ beside `out`.
 * Every path is checked before anything is written.
 */
export async function exportService(
  live: ObservedState,
  options: { target: string; name?: string; out?: string; credentials: Credentials },
): Promise<ExportResult> {
  const { target, out, credentials } = options;
  const { service, containers, domains } = live;
  if (!containers) {
    throw new UserError(`nothing is deployed on ${target}`, {
      hint: "there is no live service to export yet",
      exitCode: ExitCode.invalidInput,
    });
  }
  if (
    !out &&
    containers.some((c) => Object.keys(c.configMap ?? {}).length + (c.configContents?.length ?? 0) > 0)
  ) {
    throw new UserError(`${target} has config files`, {
      hint: "pass -o FILE so they can be written beside it",
      exitCode: ExitCode.invalidInput,
    });
  }
  if (out)
    for (const c of containers) for (const path of Object.keys(configFiles(c))) exportPath(out, c.name, path);
  const written = { secrets: [] as string[], files: [] as string[] };
  const known = await credentials.heldSecrets();
  // svc's marks are not the user's labels; the manifest name they record is the best default.
  const labels = Object.fromEntries(
    Object.entries(service.labels ?? {}).filter(([key]) => !key.startsWith(MARK_PREFIX)),
  );
  const manifest = {
    apiVersion: "svc/v1",
    kind: "Service",
    metadata: {
      name: options.name ?? markOf(service.labels)?.manifest ?? target,
      ...(service.description ? { description: service.description } : {}),
      ...(Object.keys(labels).length ? { labels } : {}),
    },
    spec: {
      target,
      containers: await Promise.all(
        containers.map(async (c) =>
          exportContainer(c, { target, service, out, known, credentials, written }),
        ),
      ),
      ...(domains.length ? { domains: domains.map(domain) } : {}),
    },
  };
  const revision = service.revision !== undefined ? `, revision ${service.revision}` : "";
  const text = `# Exported by svc from target ${target} (service ${service.id}${revision}).\n${stringify(manifest, { lineWidth: 0 })}`;
  if (out) writeFileSync(out, text);
  return { target, ...(out ? { file: out } : {}), ...written, manifest: text };
}

async function exportContainer(
  c: LiveContainer,
  context: {
    target: string;
    service: UserService;
    out: string | undefined;
    known: Map<string, string>;
    credentials: Credentials;
    written: { secrets: string[]; files: string[] };
  },
) {
  const { target, service, out, known, credentials, written } = context;
  const env: Record<string, string | { secret: string }> = {};
  for (const e of c.envs) {
    // A value svc holds as a secret is referenced, never written, whatever the variable's name.
    const existing = known.get(e.value);
    if (existing) {
      env[e.name] = { secret: existing };
      continue;
    }
    if (!SECRET_NAME.test(e.name)) {
      env[e.name] = e.value;
      continue;
    }
    const name = joinedName(target, c.name, e.name);
    if (nameProblem("secret", name))
      throw new UserError(`cannot name a secret for ${c.name}.${e.name}: ${nameProblem("secret", name)}`);
    // Already provided by the environment with this value (CI): nothing to store.
    if (process.env[envVar("secret", name)] !== e.value) await credentials.save("secret", name, e.value);
    written.secrets.push(name);
    env[e.name] = { secret: name };
  }
  const fileEntries = Object.entries(configFiles(c)).map(([path, content]) => {
    const local = exportPath(out as string, c.name, path);
    mkdirSync(dirname(local), { recursive: true });
    writeFileSync(local, content);
    written.files.push(local);
    return { source: `./${relative(dirname(out as string), local)}`, target: path };
  });
  const ports = (c.ports ?? []).map((p) => {
    const proto = p.protocol.toLowerCase();
    // Specified host ports are kept; assigned ones are left to the platform.
    return specifiedPorts(service) && p.hostPort
      ? `${p.hostPort}:${p.containerPort}/${proto}`
      : `${p.containerPort}/${proto}`;
  });
  return {
    name: c.name,
    image: c.imageName,
    ...(c.resourceUnit !== undefined && c.resourceUnit !== 1 ? { units: c.resourceUnit } : {}),
    ...(ports.length ? { ports } : {}),
    ...(Object.keys(env).length ? { env } : {}),
    ...(c.mountPath ? { storage: c.mountPath } : {}),
    ...(c.command?.length ? { command: c.command } : {}),
    ...(c.args?.length ? { args: c.args } : {}),
    ...(fileEntries.length ? { files: fileEntries } : {}),
  };
}

function domain(d: LiveDomain) {
  return { name: d.domain, port: d.containerPort, https: d.isHttps };
}

/**
 * Config files by path. Where the provider shows only a file's content, its path comes from the
 * deployment it echoes; a content with no known path cannot be exported faithfully.
 */
function configFiles(c: LiveContainer): Record<string, string> {
  if (c.configMap) return c.configMap;
  const content = c.configContents?.[0];
  if (content === undefined) return {};
  const path = c.configPaths?.[0];
  if (!path) {
    throw new UserError(`the provider shows ${c.name}'s config file but not where it is mounted`, {
      hint: "export needs a provider that shows config paths (config-path-map or deployment-info); write files: by hand",
    });
  }
  return { [path]: content };
}

/** Where a live config file is written: under files/<container>/ beside the manifest, never outside. */
export function exportPath(out: string, container: string, path: string): string {
  const base = join(dirname(out), "files", container);
  const local = join(base, path);
  // A live path such as /../../../tmp/x must not write outside the export.
  const rel = relative(base, local);
  if (rel === "" || rel.startsWith("..")) {
    throw new UserError(
      `${container}'s config path ${JSON.stringify(path)} would be written outside ${base}`,
      {
        hint: "nothing was written; fix the config path on the platform first",
        exitCode: ExitCode.error,
      },
    );
  }
  return local;
}

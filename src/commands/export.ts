import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import * as Args from "@oclif/core/args";
import * as Flags from "@oclif/core/flags";
import pc from "picocolors";
import { stringify } from "yaml";
import { OpsCommand } from "../cli/ops-command.js";
import { envVar, nameProblem, SECRET_NAME } from "../credentials/names.js";
import { ExitCode, UserError } from "../errors.js";
import { MARK_PREFIX, markOf } from "../manifest/marks.js";
import { specifiedPorts } from "../platform/adapt.js";
import type { LiveContainer, LiveDomain, UserService } from "../platform/model.js";

export interface ExportResult {
  target: string;
  file?: string;
  files: string[];
  secrets: string[];
  /** The manifest as written (secrets as references), also with --json. */
  manifest: string;
}

export default class Export extends OpsCommand {
  static override summary = "Write a target's live service as a service.yaml that plans as No changes.";
  static override description =
    "Env values whose names look secret (PASSWORD, TOKEN, KEY, ...) become { secret: NAME } references: to a secret svc already holds with that value (environment or keychain), else to a new one stored in the keychain like `svc secret set NAME`. They are never written to a file. Config files are written beside the manifest.";
  static override examples = ["<%= config.bin %> export local -o service.yaml"];
  static override args = { target: Args.string({ description: "Target name.", required: true }) };
  static override flags = {
    output: Flags.string({
      char: "o",
      description: "Write here instead of standard output.",
      helpValue: "FILE",
    }),
    name: Flags.string({
      description: "metadata.name (default: the manifest name svc marked it with, else the target name).",
    }),
  };

  async run(): Promise<ExportResult> {
    const { args, flags } = await this.parse(Export);
    const client = await this.client(args.target);
    const { service, containers, domains } = await client.observe();
    if (!containers) {
      throw new UserError(`nothing is deployed on ${args.target}`, {
        hint: "there is no live service to export yet",
        exitCode: ExitCode.invalidInput,
      });
    }
    const out = flags.output ? resolve(flags.output) : undefined;
    if (
      !out &&
      containers.some((c) => Object.keys(c.configMap ?? {}).length + (c.configContents?.length ?? 0) > 0)
    ) {
      throw new UserError(`${args.target} has config files`, {
        hint: "pass -o FILE so they can be written beside it",
        exitCode: ExitCode.invalidInput,
      });
    }
    // Every path is checked before anything is written.
    if (out)
      for (const c of containers)
        for (const path of Object.keys(configFiles(c))) exportPath(out, c.name, path);
    const secrets: string[] = [];
    const files: string[] = [];
    const known = await this.credentials.heldSecrets();
    // svc's marks are not the user's labels; the manifest name they record is the best default.
    const labels = Object.fromEntries(
      Object.entries(service.labels ?? {}).filter(([key]) => !key.startsWith(MARK_PREFIX)),
    );
    const manifest = {
      apiVersion: "svc/v1",
      kind: "Service",
      metadata: {
        name: flags.name ?? markOf(service.labels)?.manifest ?? args.target,
        ...(service.description ? { description: service.description } : {}),
        ...(Object.keys(labels).length ? { labels } : {}),
      },
      spec: {
        target: args.target,
        containers: await Promise.all(
          containers.map(async (c) => this.container(args.target, service, c, out, secrets, files, known)),
        ),
        ...(domains.length ? { domains: domains.map(domain) } : {}),
      },
    };
    const revision = service.revision !== undefined ? `, revision ${service.revision}` : "";
    const text = `# Exported by svc from target ${args.target} (service ${service.id}${revision}).\n${stringify(manifest, { lineWidth: 0 })}`;
    if (out) {
      writeFileSync(out, text);
      if (!this.jsonEnabled()) {
        this.log(
          `${pc.green("✔")} wrote ${relative(process.cwd(), out) || out}${files.length ? ` and ${files.length} config file(s)` : ""}`,
        );
        for (const s of secrets) this.log(`  secret ${s} stored in the keychain (svc secret list)`);
      }
    } else if (!this.jsonEnabled()) process.stdout.write(text);
    return { target: args.target, ...(out ? { file: out } : {}), files, secrets, manifest: text };
  }

  private async container(
    target: string,
    service: UserService,
    c: LiveContainer,
    out: string | undefined,
    secrets: string[],
    files: string[],
    known: Map<string, string>,
  ) {
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
      const name = `${target}-${c.name}-${e.name.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`.slice(0, 128);
      if (nameProblem("secret", name))
        throw new UserError(`cannot name a secret for ${c.name}.${e.name}: ${nameProblem("secret", name)}`);
      // Already provided by the environment with this value (CI): nothing to store.
      if (process.env[envVar("secret", name)] !== e.value)
        await this.credentials.save("secret", name, e.value);
      secrets.push(name);
      env[e.name] = { secret: name };
    }
    const fileEntries = Object.entries(configFiles(c)).map(([path, content]) => {
      const local = exportPath(out as string, c.name, path);
      mkdirSync(dirname(local), { recursive: true });
      writeFileSync(local, content);
      files.push(local);
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

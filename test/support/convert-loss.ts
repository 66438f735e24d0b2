import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";

type Any = Record<string, unknown>;
const isMap = (v: unknown): v is Any => typeof v === "object" && v !== null && !Array.isArray(v);

interface Container {
  name: string;
  image?: string;
  env?: Record<string, unknown>;
  ports?: unknown[];
  storage?: string;
  files?: { target: string }[];
  command?: string[];
  args?: string[];
  build?: unknown;
}

/**
 * What a compose file holds that the conversion neither carried nor listed: every service, and in
 * each its image, build, command, every env key (environment and env_file), port, volume, secret
 * and config, and every other key, must be in one of the manifests written or under a path of the
 * report's `dropped` list. Returns the paths lost in silence (none, for a good conversion). Written
 * apart from the converter, from the compose file format, so it checks rather than repeats it.
 */
export function silentLosses(
  composeFile: string,
  report: { dropped: { path: string }[] },
  manifests: string[],
): string[] {
  const doc = parse(readFileSync(composeFile, "utf8"), { merge: true }) as Any;
  const dir = join(composeFile, "..");
  const containers: Container[] = manifests.flatMap(
    (m) => ((parse(readFileSync(m, "utf8")) as Any).spec as { containers: Container[] }).containers,
  );
  const listed = (path: string) =>
    report.dropped.some(
      (d) =>
        d.path === path ||
        d.path.startsWith(`${path}.`) ||
        d.path.startsWith(`${path}[`) ||
        d.path.startsWith(`${path}:`) ||
        d.path.startsWith(`${path} `),
    );
  const lost: string[] = [];
  const need = (ok: boolean, path: string) => {
    if (!ok && !listed(path)) lost.push(path);
  };
  for (const key of Object.keys(doc))
    need(
      ["services", "volumes", "configs", "secrets", "version", "name"].includes(key) || key.startsWith("x-"),
      key,
    );
  for (const [name, raw] of Object.entries(isMap(doc.services) ? doc.services : {})) {
    const at = `services.${name}`;
    if (listed(at) && !report.dropped.some((d) => d.path.startsWith(`${at}.`))) continue;
    const s = isMap(raw) ? raw : {};
    const c = containers.find((x) => x.name === name.toLowerCase().replace(/[^a-z0-9-]+/g, "-"));
    if (!c) {
      need(false, at);
      continue;
    }
    const env = new Set(Object.keys(c.env ?? {}));
    const targets = new Set([...(c.files ?? []).map((f) => f.target), ...(c.storage ? [c.storage] : [])]);
    for (const [key, value] of Object.entries(s)) {
      const path = `${at}.${key}`;
      if (key.startsWith("x-")) continue;
      if (key === "image") need(Boolean(c.image), path);
      else if (key === "build") {
        need(c.build !== undefined, path);
        // svc's build has a context, a Dockerfile, args and a target; any other key is listed.
        const carried = isMap(c.build) ? c.build : {};
        for (const sub of Object.keys(isMap(value) ? value : {}))
          need(sub === "context" || sub in carried, `${path}.${sub}`);
      } else if (key === "command" || key === "entrypoint")
        need(Boolean(c.command?.length || c.args?.length), path);
      else if (key === "container_name" || key === "profiles") continue;
      else if (key === "environment") {
        const entries = Array.isArray(value)
          ? value.map((e, i) => [String(e).split("=")[0] ?? "", `${path}[${i}]`])
          : Object.keys(isMap(value) ? value : {}).map((k) => [k, `${path}.${k}`]);
        for (const [k, p] of entries) need(env.has(k as string), p as string);
      } else if (key === "env_file") {
        const files = (Array.isArray(value) ? value : [value]).map((f) =>
          isMap(f) ? String(f.path) : String(f),
        );
        files.forEach((file, i) => {
          const p = Array.isArray(value) ? `${path}[${i}]` : path;
          let text: string | undefined;
          try {
            text = readFileSync(join(dir, file), "utf8");
          } catch {}
          if (text === undefined) {
            need(false, p);
            return;
          }
          text.split(/\r?\n/).forEach((line, n) => {
            if (!line.trim() || line.trim().startsWith("#")) return;
            const k = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)/.exec(line)?.[1];
            if (!k || !/^\s*(?:export\s+)?[A-Za-z_][A-Za-z0-9_.-]*\s*(=|$)/.test(line))
              need(false, `${p} line ${n + 1}`);
            else if (!env.has(k)) need(false, `${p}: ${k}`);
          });
        });
      } else if (key === "ports") {
        const containerPort = (p: unknown) =>
          isMap(p)
            ? String(p.target ?? p.containerPort ?? p.container)
            : (String(p).split("/")[0]?.split(":").at(-1)?.split("-")[0] ?? "");
        const carried = new Set((c.ports ?? []).map(containerPort));
        (Array.isArray(value) ? value : []).forEach((v, i) => {
          const port = containerPort(v);
          need(port.includes("$") || carried.has(port), `${path}[${i}]`);
        });
      } else if (key === "volumes" || key === "secrets" || key === "configs")
        (Array.isArray(value) ? value : []).forEach((v, i) => {
          const target =
            typeof v === "string"
              ? key === "volumes"
                ? v.split(":")[1]
                : `/run/secrets/${v}`
              : isMap(v)
                ? String(
                    v.target ??
                      (key === "configs" ? `/${String(v.source)}` : `/run/secrets/${String(v.source)}`),
                  )
                : "";
          const absolute = target?.startsWith("/") ? target : `/run/secrets/${target}`;
          need(targets.has(absolute), `${path}[${i}]`);
        });
      else need(false, path);
    }
  }
  return lost;
}

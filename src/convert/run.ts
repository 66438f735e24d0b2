import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, relative, resolve } from "node:path";
import { redactor } from "../credentials/redact.js";
import { ExitCode, UserError } from "../errors.js";
import { type Diagnostic, hasErrors } from "../manifest/diagnostics.js";
import type { Variables } from "../manifest/interpolate.js";
import { loadServices } from "../manifest/load.js";
import { toName } from "../manifest/model.js";
import { type ConvertedSource, convertSource } from "./convert.js";
import { type Conversion, type ConvertOptions, joinedName } from "./fields.js";
import { containerPort, groupServices } from "./groups.js";
import { convertReport } from "./report.js";

export interface ConvertFileOptions {
  file: string;
  /** Where to write the manifest (with --split: the directory); absent: printed. */
  output?: string;
  name?: string;
  target?: string;
  force: boolean;
  split: boolean;
  profiles?: string[];
  /** Secrets svc holds, by value: an env value equal to one becomes a reference to it. */
  held: ReadonlyMap<string, string>;
  /** This environment's variables, to check the result as svc will read it. */
  vars: Variables;
}

/** One manifest made: written (out) or to print, its report, and the problems svc validate would find. */
export interface ConvertedManifest {
  out?: string;
  report?: string;
  text: string;
  conversion: Conversion;
  problems: Diagnostic[];
  valid: boolean;
}

export type ConvertRun =
  | { ok: false; diagnostics: Diagnostic[] }
  | { ok: true; format: "vkube" | "compose"; manifests: ConvertedManifest[] };

/**
 * svc convert: a VKubefile or compose file read, converted (with --split, one manifest per compose
 * service, each a service and target of its own), written with its report beside it, and checked
 * as svc will read it. Nothing is overwritten without `force`, and every refusal comes before the
 * first write.
 */
export function convertFile(options: ConvertFileOptions): ConvertRun {
  const source = resolve(options.file);
  if (!existsSync(source) || !statSync(source).isFile())
    throw new UserError(`${options.file} is not a file`, { exitCode: ExitCode.invalidInput });
  if (options.split && !options.output)
    throw new UserError("--split writes one manifest per compose service: name their directory with -o DIR", {
      exitCode: ExitCode.invalidInput,
    });
  const sourceDir = dirname(source);
  const name = options.name ?? toName(basename(sourceDir));
  const text = readFileSync(source, "utf8");
  const convert = (
    outDir: string,
    extra: {
      name: string;
      target?: string;
      only?: string;
      group?: ConvertOptions["group"];
      writesFiles?: boolean;
    },
  ) => {
    const converted = convertSource(
      text,
      { file: options.file, absolute: source },
      {
        ...extra,
        ...(options.profiles ? { profiles: options.profiles } : {}),
        readText: (p) => readText(resolve(sourceDir, p), 1024 * 1024),
        held: options.held,
        outDir,
        kindOf: (p) => {
          const abs = resolve(sourceDir, p);
          if (!existsSync(abs)) return undefined;
          return statSync(abs).isFile() ? "file" : "dir";
        },
      },
    );
    if (converted.ok && converted.vkubeToken) redactor.add(converted.vkubeToken);
    return converted;
  };
  const target = options.target ? { target: options.target } : {};
  const write = (converted: Extract<ConvertedSource, { ok: true }>, out: string | undefined) =>
    writeManifest(converted, out, source, options.vars);

  if (!options.split) {
    const out = options.output ? resolve(options.output) : undefined;
    const converted = convert(out ? dirname(out) : process.cwd(), {
      name,
      ...target,
      writesFiles: Boolean(out),
    });
    // A project one pod cannot hold becomes one manifest per pod, in a directory.
    const limits = converted.ok && converted.format === "compose" ? (converted.conversion.limits ?? []) : [];
    if (converted.ok && limits.length > 0) {
      if (!out || /\.ya?ml$/i.test(out) || (existsSync(out) && statSync(out).isFile()))
        throw new UserError(
          `${converted.conversion.manifest.spec.containers.length} compose services do not fit one pod: ${whyNotOnePod(limits)}`,
          {
            hint: "pass -o DIR: svc convert writes one manifest per pod there (the fewest the platform's rules allow), each its own service and target",
            exitCode: ExitCode.invalidInput,
          },
        );
      return convertGroups(converted.conversion, out, name, options, convert, write);
    }
    refuseOverwrite(out, options.force);
    if (!converted.ok) return converted;
    for (const w of converted.writes)
      if (readText(w.path) !== w.content) refuseOverwrite(w.path, options.force);
    return { ok: true, format: converted.format, manifests: [write(converted, out)] };
  }

  const dir = resolve(options.output as string);
  const whole = convert(dir, { name, ...target });
  if (!whole.ok) return whole;
  if (whole.format !== "compose")
    throw new UserError("--split is for compose files: a VKubefile already describes one service", {
      exitCode: ExitCode.invalidInput,
    });
  const parts = whole.conversion.manifest.spec.containers.map((c) => c.name);
  for (const part of parts) refuseOverwrite(join(dir, part, "service.yaml"), options.force);
  const manifests = parts.map((part) => {
    const out = join(dir, part, "service.yaml");
    const converted = convert(dirname(out), {
      name: joinedName(name, part),
      target: joinedName(options.target ?? name, part),
      only: part,
    });
    if (!converted.ok) throw new Error(`converting ${part} alone failed where the whole file converted`);
    return write(converted, out);
  });
  return { ok: true, format: "compose", manifests };
}

/**
 * A compose project in the fewest pods the platform's rules allow (groups.ts): `DIR/<group>/service.yaml`
 * for each, named after its first service, each a service and target of its own; a hostname of a
 * service in another group is a variable, `${API_HOST}`. The grouping and why go into every report.
 */
function convertGroups(
  whole: Conversion,
  dir: string,
  name: string,
  options: ConvertFileOptions,
  convert: (
    outDir: string,
    extra: {
      name: string;
      target?: string;
      group: NonNullable<ConvertOptions["group"]>;
      writesFiles: boolean;
    },
  ) => ConvertedSource,
  write: (converted: Extract<ConvertedSource, { ok: true }>, out: string) => ConvertedManifest,
): ConvertRun {
  const groups = groupServices(
    whole.manifest.spec.containers.map((c) => ({
      name: c.name,
      image: c.image,
      ports: (c.ports ?? []).map(containerPort),
      talksTo: whole.links?.[c.name] ?? [],
    })),
  );
  const serviceOf = (group: string[]) => joinedName(name, group[0] ?? "");
  const where = new Map(
    groups.flatMap((g) =>
      g.map((member) => [
        member,
        { variable: `${member.toUpperCase().replace(/[^A-Z0-9]+/g, "_")}_HOST`, service: serviceOf(g) },
      ]),
    ),
  );
  const said = `${whole.manifest.spec.containers.length} compose services need ${groups.length} pods (${whyNotOnePod(whole.limits ?? [])}): ${groups.map((g) => `${serviceOf(g)} (${g.join(", ")})`).join(", ")}; services that reach each other by hostname are kept together where the rules allow`;
  for (const g of groups) refuseOverwrite(join(dir, g[0] ?? "", "service.yaml"), options.force);
  const manifests = groups.map((group) => {
    const out = join(dir, group[0] ?? "", "service.yaml");
    const converted = convert(dirname(out), {
      name: serviceOf(group),
      target: joinedName(options.target ?? name, group[0] ?? ""),
      group: { members: group, elsewhere: new Map([...where].filter(([member]) => !group.includes(member))) },
      writesFiles: true,
    });
    if (!converted.ok)
      throw new Error(`converting ${group.join(", ")} failed where the whole file converted`);
    converted.conversion.notes.unshift(said);
    return write(converted, out);
  });
  return { ok: true, format: "compose", manifests };
}

/** What keeps a project from one pod, each limit's first clause: `web and worker run the same image a:1`. */
function whyNotOnePod(limits: readonly string[]): string {
  return limits.map((l) => l.replace(/: .*/, "")).join("; ");
}

function refuseOverwrite(out: string | undefined, force: boolean): void {
  if (out && existsSync(out) && !force) {
    throw new UserError(`${relative(process.cwd(), out) || out} already exists`, {
      hint: "pass --force to overwrite it, or -o another file",
      exitCode: ExitCode.invalidInput,
    });
  }
}

/** Writes one converted manifest (unless it is to be printed) and its report, checked as svc will read it. */
function writeManifest(
  converted: Extract<ConvertedSource, { ok: true }>,
  out: string | undefined,
  source: string,
  vars: Variables,
): ConvertedManifest {
  const { conversion, text } = converted;
  const outDir = out ? dirname(out) : process.cwd();
  if (out) mkdirSync(outDir, { recursive: true });
  for (const w of converted.writes) writeFileSync(w.path, w.content);
  // Printed rather than written: checked where it would live (here), under a passing name; in
  // a directory svc may not write to, in a temporary one (file sources then may not resolve).
  let checkFile = out ?? join(outDir, `.svc-convert-${process.pid}.service.yaml`);
  try {
    writeFileSync(checkFile, text);
  } catch (error) {
    if (out) throw error;
    checkFile = join(mkdtempSync(join(tmpdir(), "svc-convert-")), ".check.service.yaml");
    writeFileSync(checkFile, text);
  }
  // Where its file sources live is the user's choice.
  const loaded = loadServices({ files: [checkFile], vars, allowOutside: true });
  if (!out) {
    rmSync(checkFile, { force: true });
    for (const d of loaded.diagnostics) if (d.file.endsWith(".service.yaml")) d.file = "(the manifest above)";
  }
  const report = out ? out.replace(/(\.ya?ml)?$/, ".convert.md") : undefined;
  if (out && report) {
    writeFileSync(
      report,
      convertReport({
        source: relative(process.cwd(), source) || source,
        output: relative(process.cwd(), out) || out,
        dropped: conversion.dropped,
        notes: conversion.notes,
        problems: loaded.diagnostics,
      }),
    );
  }
  return {
    ...(out ? { out } : {}),
    ...(report ? { report } : {}),
    text,
    conversion,
    problems: loaded.diagnostics,
    valid: !hasErrors(loaded.diagnostics),
  };
}

/** A regular file's text (up to `maxBytes`), or undefined. */
function readText(path: string, maxBytes = Number.POSITIVE_INFINITY): string | undefined {
  try {
    const stat = statSync(path);
    return stat.isFile() && stat.size <= maxBytes ? readFileSync(path, "utf8") : undefined;
  } catch {
    return undefined;
  }
}

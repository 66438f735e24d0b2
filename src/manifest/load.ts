import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { isAbsolute, join, relative, resolve } from "node:path";
import { redactor } from "../credentials/redact.js";
import { byText } from "../util/sorted.js";
import type { Diagnostic, Position } from "./diagnostics.js";
import { diagnostic, hasErrors, sortDiagnostics } from "./diagnostics.js";
import type { Variables } from "./interpolate.js";
import { locator } from "./locate.js";
import { mergeManifests } from "./merge.js";
import type { RawManifest, ServiceSpec } from "./model.js";
import { checkSchema } from "./schema.js";
import { checkAndNormalize } from "./semantic.js";
import { type ParsedFile, parseManifest } from "./source.js";

export interface LoadOptions {
  /** `-f` files, merged in order into one service. */
  files?: readonly string[];
  /** Directory (or file) arguments: every `**\/service.yaml` below each is its own service. */
  paths?: readonly string[];
  /** Interpolation variables: the environment overlaid with `--var`. */
  vars: Variables;
  cwd?: string;
  /** Let files[].source point outside the manifest's repository. */
  allowOutside?: boolean;
}

export interface LoadResult {
  services: ServiceSpec[];
  /** Sorted by file, line, column. */
  diagnostics: Diagnostic[];
  /** Every manifest read, relative to cwd. */
  files: string[];
}

export const MANIFEST_NAME = "service.yaml";
const MAX_MESSAGE = 500;
const SKIPPED_DIRS = new Set(["node_modules", ".git", "dist"]);

/** Reads, interpolates, merges, validates and normalizes manifests. Never throws on bad input. */
export function loadServices(options: LoadOptions): LoadResult {
  const cwd = options.cwd ?? process.cwd();
  const display = (file: string) => {
    const rel = relative(cwd, file);
    return rel && !rel.startsWith("..") && !isAbsolute(rel) ? rel : file;
  };
  const diagnostics: Diagnostic[] = [];
  const groups: string[][] = [];

  if (options.files?.length) groups.push(options.files.map((f) => resolve(cwd, f)));
  // With neither files nor paths: every service.yaml below the current directory, as the
  // day-two commands find their targets.
  const paths = options.files?.length || options.paths?.length ? (options.paths ?? []) : ["."];
  for (const path of paths) {
    const abs = resolve(cwd, path);
    if (!existsSync(abs)) {
      diagnostics.push(
        problem(display(abs), `${path} does not exist`, "pass a directory holding service.yaml files"),
      );
    } else if (statSync(abs).isFile()) groups.push([abs]);
    else {
      const found = discover(abs);
      if (found.length === 0) {
        diagnostics.push(
          problem(
            display(abs) || ".",
            `no ${MANIFEST_NAME} found under ${path === "." ? cwd : path}`,
            "pass -f FILE or a directory, or create one with `svc init`",
          ),
        );
      }
      for (const file of found) groups.push([file]);
    }
  }

  const services: ServiceSpec[] = [];
  const namePositions = new Map<ServiceSpec, Position>();
  const parsedCache = new Map<string, ParsedFile>();
  for (const group of groups) {
    const parsed: ParsedFile[] = [];
    for (const file of group) {
      let text: string;
      try {
        text = readFileSync(file, "utf8");
      } catch (error) {
        diagnostics.push(
          problem(display(file), `cannot read ${display(file)}: ${(error as NodeJS.ErrnoException).code}`),
        );
        continue;
      }
      const result = parsedCache.get(file) ?? parseManifest(text, display(file), file, options.vars);
      parsedCache.set(file, result);
      diagnostics.push(...result.diagnostics);
      parsed.push(result);
    }
    if (parsed.length !== group.length || parsed.some((p) => p.value === undefined)) continue;

    const merge = mergeManifests(parsed.map((p) => p.value));
    const merged = merge.value;
    const locate = locator(
      parsed.map((p) => p.positions),
      merge,
    );
    const schemaProblems = checkSchema(merged, locate);
    if (schemaProblems.length > 0) {
      diagnostics.push(...schemaProblems);
      continue;
    }
    const result = checkAndNormalize(merged as RawManifest, locate, group.map(display), {
      allowOutside: options.allowOutside ?? false,
    });
    diagnostics.push(...result.diagnostics);
    if (result.service) {
      hideSensitiveFiles(result.service);
      services.push(result.service);
      namePositions.set(result.service, locate.value(["metadata", "name"]));
    }
  }

  const byName = new Map<string, ServiceSpec>();
  for (const service of services) {
    const first = byName.get(service.name);
    if (first) {
      diagnostics.push(
        diagnostic(
          { ...(namePositions.get(service) as Position), path: "metadata.name" },
          `service name "${service.name}" is also used by ${first.files.join(", ")}`,
          "service names must be unique in the repository",
        ),
      );
    } else byName.set(service.name, service);
  }

  // Messages quote manifest text: a hostile manifest must not make them megabytes long.
  const sorted = sortDiagnostics(diagnostics).map((d) =>
    d.message.length > MAX_MESSAGE ? { ...d, message: `${d.message.slice(0, MAX_MESSAGE - 3)}...` } : d,
  );
  return {
    services: hasErrors(sorted) ? [] : services.sort((a, b) => byText(a.name, b.name)),
    diagnostics: sorted,
    files: [...new Set(groups.flat())].map(display),
  };
}

/** Every service.yaml below a directory, in a stable order. */
export function discover(dir: string): string[] {
  const found: string[] = [];
  const walk = (current: string) => {
    const entries = readdirSync(current, { withFileTypes: true }).sort((a, b) => byText(a.name, b.name));
    for (const entry of entries) {
      if (entry.isDirectory() && !SKIPPED_DIRS.has(entry.name)) walk(join(current, entry.name));
      else if (entry.isFile() && entry.name === MANIFEST_NAME) found.push(join(current, entry.name));
    }
  };
  walk(dir);
  return found.sort();
}

function problem(file: string, message: string, hint?: string): Diagnostic {
  return diagnostic({ file, line: 0, column: 0 }, message, hint);
}

/**
 * A config file marked sensitive is a secret: whatever echoes it back (a platform's error, a
 * container's log) is masked, the whole content and each line of it long enough to mean something.
 */
function hideSensitiveFiles(service: ServiceSpec): void {
  for (const c of service.containers)
    for (const f of c.files)
      if (f.sensitive)
        for (const part of [f.content, ...f.content.split("\n").filter((l) => l.trim().length >= 8)])
          redactor.add(part.trim());
}

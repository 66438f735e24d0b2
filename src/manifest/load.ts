import {
  closeSync,
  constants,
  existsSync,
  fstatSync,
  openSync,
  readdirSync,
  readSync,
  type Stats,
  statSync,
} from "node:fs";
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
import { LIMITS, type ParsedFile, parseManifest } from "./source.js";

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
    const kind = existsSync(abs) ? kindOf(statSync(abs)) : undefined;
    if (kind === undefined) {
      diagnostics.push(
        problem(display(abs), `${path} does not exist`, "pass a directory holding service.yaml files"),
      );
    } else if (kind === "file") groups.push([abs]);
    else if (kind !== "directory") {
      diagnostics.push(
        problem(display(abs), `${path} is ${kind}, not a manifest file or a directory`, NOT_A_FILE_HINT),
      );
    } else {
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
      const read = readManifest(file);
      if (typeof read !== "string") {
        diagnostics.push(problem(display(file), read.message.replace("FILE", display(file)), read.hint));
        continue;
      }
      const text = read;
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

const NOT_A_FILE_HINT = "pass a regular file (service.yaml) or a directory holding them";

/** What a path is, in words for a message: a regular file, a directory, or what else. */
function kindOf(stat: Stats): "file" | "directory" | string {
  if (stat.isFile()) return "file";
  if (stat.isDirectory()) return "directory";
  if (stat.isFIFO()) return "a FIFO (named pipe)";
  if (stat.isSocket()) return "a socket";
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return "a device";
  return "not a regular file";
}

/**
 * A manifest's text, or why it cannot be read. Only a regular file is read — opened without
 * blocking (a FIFO would wait for a writer forever) and checked on the open descriptor — and at
 * most one byte past the size limit, whatever the file claims (a device or a growing file never
 * ends), so parseManifest refuses it at its size.
 */
function readManifest(file: string): string | { message: string; hint: string } {
  const notAFile = (kind: string) =>
    kind === "directory"
      ? {
          message: "FILE is a directory, not a manifest file",
          hint: "pass it without -f to read every service.yaml below it",
        }
      : { message: `FILE is ${kind}, not a manifest file`, hint: NOT_A_FILE_HINT };
  let fd: number;
  try {
    const kind = kindOf(statSync(file));
    if (kind !== "file") return notAFile(kind);
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === "ENOENT"
      ? { message: "FILE does not exist", hint: "check the path given to -f" }
      : { message: `cannot read FILE: ${code}`, hint: NOT_A_FILE_HINT };
  }
  try {
    // Checked again on what was opened: the path may name something else by now.
    const kind = kindOf(fstatSync(fd));
    if (kind !== "file") return notAFile(kind);
    const buffer = Buffer.alloc(LIMITS.fileBytes + 1);
    let length = 0;
    for (let n = 1; n > 0 && length < buffer.length; length += n)
      n = readSync(fd, buffer, length, buffer.length - length, null);
    return buffer.subarray(0, length).toString("utf8");
  } catch (error) {
    return { message: `cannot read FILE: ${(error as NodeJS.ErrnoException).code}`, hint: NOT_A_FILE_HINT };
  } finally {
    closeSync(fd);
  }
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

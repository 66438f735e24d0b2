import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, relative, resolve } from "node:path";
import * as Args from "@oclif/core/args";
import * as Flags from "@oclif/core/flags";
import pc from "picocolors";
import { SvcCommand } from "../cli/base.js";
import { interpolationVariables } from "../cli/manifest-flags.js";
import { convertSource } from "../convert/convert.js";
import type { Dropped } from "../convert/fields.js";
import { convertReport } from "../convert/report.js";
import { Credentials } from "../credentials/credentials.js";
import { redactor } from "../credentials/redact.js";
import { ExitCode, UserError } from "../errors.js";
import { hasErrors } from "../manifest/diagnostics.js";
import { loadServices } from "../manifest/load.js";
import { toName } from "../manifest/model.js";
import { renderDiagnostics } from "../render/diagnostics.js";

export interface ConvertResult {
  format: "vkube" | "compose";
  file?: string;
  /** The report saved beside it (-o). */
  report?: string;
  /** --split: the manifests written, one per compose service. */
  files?: string[];
  dropped: Dropped[];
  notes: string[];
  valid: boolean;
}

export default class Convert extends SvcCommand {
  static override summary = "Turn a VKubefile or a docker-compose file into a service.yaml.";
  static override description =
    "Every key that cannot be carried over is listed with the reason. A VKubefile's vkubeToken is never copied: store it with svc login. The result is checked as svc validate would.";
  static override examples = [
    "<%= config.bin %> convert VKubefile.yaml -o service.yaml",
    "<%= config.bin %> convert docker-compose.yml --target shop-prod",
  ];
  static override args = {
    file: Args.string({ description: "VKubefile or docker-compose file.", required: true }),
  };
  static override flags = {
    output: Flags.string({
      char: "o",
      description: "Write here instead of standard output.",
      helpValue: "FILE",
    }),
    name: Flags.string({ description: "metadata.name (default: from the file's directory)." }),
    target: Flags.string({
      description: "spec.target (default: local for a compose file, the service's name for a VKubefile).",
    }),
    force: Flags.boolean({ description: "Overwrite the output file if it exists." }),
    split: Flags.boolean({
      description:
        "compose: one manifest per compose service (-o DIR: DIR/<service>/service.yaml), each its own service and target, for projects one pod cannot hold.",
    }),
    profile: Flags.string({
      multiple: true,
      description:
        "Also convert the compose services of this profile (compose starts them only with --profile).",
    }),
  };

  async run(): Promise<ConvertResult> {
    const { args, flags } = await this.parse(Convert);
    const source = resolve(args.file);
    if (!existsSync(source) || !statSync(source).isFile())
      throw new UserError(`${args.file} is not a file`, { exitCode: ExitCode.invalidInput });
    if (flags.split && !flags.output)
      throw new UserError(
        "--split writes one manifest per compose service: name their directory with -o DIR",
        {
          exitCode: ExitCode.invalidInput,
        },
      );
    const sourceDir = dirname(source);
    const name = flags.name ?? toName(basename(sourceDir));
    const text = readFileSync(source, "utf8");
    const held = await new Credentials().heldSecrets();
    const convert = (
      outDir: string,
      extra: { name: string; target?: string; only?: string; writesFiles?: boolean },
    ) => {
      const converted = convertSource(
        text,
        { file: args.file, absolute: source },
        {
          ...extra,
          ...(flags.profile ? { profiles: flags.profile } : {}),
          readText: (p) => readText(resolve(sourceDir, p), 1024 * 1024),
          held,
          outDir,
          kindOf: (p) => {
            const abs = resolve(sourceDir, p);
            if (!existsSync(abs)) return undefined;
            return statSync(abs).isFile() ? "file" : "dir";
          },
        },
      );
      if (!converted.ok) {
        if (this.jsonEnabled()) this.logJson({ valid: false, diagnostics: converted.diagnostics });
        else process.stderr.write(`${renderDiagnostics(converted.diagnostics)}\n`);
        this.exit(ExitCode.invalidInput);
      }
      if (converted.vkubeToken) redactor.add(converted.vkubeToken);
      return converted;
    };
    const target = flags.target ? { target: flags.target } : {};

    if (!flags.split) {
      const out = flags.output ? resolve(flags.output) : undefined;
      this.refuseOverwrite(out, flags.force);
      const converted = convert(out ? dirname(out) : process.cwd(), {
        name,
        ...target,
        writesFiles: Boolean(out),
      });
      for (const w of converted.writes)
        if (readText(w.path) !== w.content) this.refuseOverwrite(w.path, flags.force);
      const one = this.write(converted, out, source);
      return this.finish({
        format: converted.format,
        ...(out ? { file: out } : {}),
        ...(one.report ? { report: one.report } : {}),
        dropped: converted.conversion.dropped,
        notes: converted.conversion.notes,
        valid: one.valid,
      });
    }

    // --split: one manifest per compose service, each a service (and target) of its own.
    const dir = resolve(flags.output as string);
    const whole = convert(dir, { name, ...target });
    if (whole.format !== "compose")
      throw new UserError("--split is for compose files: a VKubefile already describes one service", {
        exitCode: ExitCode.invalidInput,
      });
    const parts = whole.conversion.manifest.spec.containers.map((c) => c.name);
    for (const part of parts) this.refuseOverwrite(join(dir, part, "service.yaml"), flags.force);
    const results = parts.map((part) => {
      const out = join(dir, part, "service.yaml");
      const converted = convert(dirname(out), {
        name: `${name}-${part}`,
        target: `${flags.target ?? name}-${part}`,
        only: part,
      });
      return { out, converted, ...this.write(converted, out, source) };
    });
    const byPath = new Map(results.flatMap((r) => r.converted.conversion.dropped).map((d) => [d.path, d]));
    return this.finish({
      format: "compose",
      files: results.map((r) => r.out),
      dropped: [...byPath.values()],
      notes: [...new Set(results.flatMap((r) => r.converted.conversion.notes))],
      valid: results.every((r) => r.valid),
    });
  }

  private refuseOverwrite(out: string | undefined, force: boolean): void {
    if (out && existsSync(out) && !force) {
      throw new UserError(`${relative(process.cwd(), out) || out} already exists`, {
        hint: "pass --force to overwrite it, or -o another file",
        exitCode: ExitCode.invalidInput,
      });
    }
  }

  /**
   * Writes one converted manifest (or prints it, without `out`) and its report, checks it as svc
   * will read it, and tells what was not converted, grouped by reason.
   */
  private write(
    converted: Extract<ReturnType<typeof convertSource>, { ok: true }>,
    out: string | undefined,
    source: string,
  ): { valid: boolean; report?: string } {
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
    // Checks the result as svc will read it (with this environment's variables); where its file
    // sources live is the user's choice.
    const loaded = loadServices({
      cwd: outDir,
      files: [checkFile],
      vars: interpolationVariables(),
      allowOutside: true,
    });
    if (!out) {
      rmSync(checkFile, { force: true });
      for (const d of loaded.diagnostics)
        if (d.file.endsWith(".service.yaml")) d.file = "(the manifest above)";
    }
    const valid = !hasErrors(loaded.diagnostics);
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
    if (!this.jsonEnabled()) {
      if (!out) process.stdout.write(text);
      const say = (line: string) => process.stderr.write(`${line}\n`);
      if (out && report)
        say(
          `${pc.green("✔")} wrote ${relative(process.cwd(), out) || out} (report: ${relative(process.cwd(), report) || report})`,
        );
      // One line per reason, with the keys it applies to: a large file gives a readable report.
      const byReason = new Map<string, string[]>();
      for (const d of conversion.dropped) byReason.set(d.reason, [...(byReason.get(d.reason) ?? []), d.path]);
      for (const [reason, paths] of byReason) {
        const shown = paths.length > 6 ? [...paths.slice(0, 5), `and ${paths.length - 5} more`] : paths;
        say(`${pc.yellow(`not converted (${paths.length})`)}  ${reason}: ${shown.join(", ")}`);
      }
      for (const n of conversion.notes) say(`${pc.cyan("note")}  ${n}`);
      if (!valid)
        say(
          `${pc.red("the result needs fixes before svc validate passes:")}\n${renderDiagnostics(loaded.diagnostics)}`,
        );
    }
    return { valid, ...(report ? { report } : {}) };
  }

  private finish(result: ConvertResult): ConvertResult {
    if (!result.valid) {
      if (this.jsonEnabled()) this.logJson(result);
      this.exit(ExitCode.invalidInput);
    }
    return result;
  }
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

import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import * as Args from "@oclif/core/args";
import * as Flags from "@oclif/core/flags";
import pc from "picocolors";
import { SvcCommand } from "../cli/base.js";
import { interpolationVariables } from "../cli/manifest-flags.js";
import { convertSource, type Dropped } from "../convert/convert.js";
import { convertReport } from "../convert/report.js";
import { Credentials } from "../credentials/credentials.js";
import { redactor } from "../credentials/redact.js";
import { ExitCode, UserError } from "../errors.js";
import { renderDiagnostics } from "../render/diagnostics.js";
import { hasErrors } from "../spec/diagnostics.js";
import { loadServices } from "../spec/load.js";
import { toName } from "../spec/model.js";

export interface ConvertResult {
  format: "vkube" | "compose";
  file?: string;
  /** The report saved beside it (-o). */
  report?: string;
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
    const out = flags.output ? resolve(flags.output) : undefined;
    if (out && existsSync(out) && !flags.force) {
      throw new UserError(`${flags.output} already exists`, {
        hint: "pass --force to overwrite it, or -o another file",
        exitCode: ExitCode.invalidInput,
      });
    }
    const outDir = out ? dirname(out) : process.cwd();
    const sourceDir = dirname(source);
    const name = flags.name ?? toName(basename(sourceDir));
    const converted = convertSource(
      readFileSync(source, "utf8"),
      { file: args.file, absolute: source },
      {
        name,
        ...(flags.target ? { target: flags.target } : {}),
        ...(flags.profile ? { profiles: flags.profile } : {}),
        readText: (p) => {
          const abs = resolve(sourceDir, p);
          try {
            return statSync(abs).isFile() && statSync(abs).size <= 1024 * 1024
              ? readFileSync(abs, "utf8")
              : undefined;
          } catch {
            return undefined;
          }
        },
        held: await new Credentials().heldSecrets(),
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
    const { format, conversion, text } = converted;

    if (out) mkdirSync(outDir, { recursive: true });
    // Printed rather than written: checked where it would live (here), under a passing name.
    const checkFile = out ?? join(outDir, `.svc-convert-${process.pid}.service.yaml`);
    writeFileSync(checkFile, text);
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
          source: relative(process.cwd(), source) || args.file,
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
    const result: ConvertResult = {
      format,
      ...(out ? { file: out } : {}),
      ...(report ? { report } : {}),
      dropped: conversion.dropped,
      notes: conversion.notes,
      valid,
    };
    if (!valid) {
      if (this.jsonEnabled()) this.logJson(result);
      this.exit(ExitCode.invalidInput);
    }
    return result;
  }
}

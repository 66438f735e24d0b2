import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, isAbsolute, join, relative, resolve } from "node:path";
import * as Args from "@oclif/core/args";
import * as Flags from "@oclif/core/flags";
import pc from "picocolors";
import { parse, stringify } from "yaml";
import { SvcCommand } from "../cli/base.js";
import {
  type Conversion,
  type Dropped,
  detectFormat,
  fromCompose,
  fromVKubefile,
} from "../convert/convert.js";
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
    target: Flags.string({ description: "spec.target.", default: "local" }),
  };

  async run(): Promise<ConvertResult> {
    const { args, flags } = await this.parse(Convert);
    const source = resolve(args.file);
    if (!existsSync(source))
      throw new UserError(`${args.file} does not exist`, { exitCode: ExitCode.invalidInput });
    let doc: unknown;
    try {
      doc = parse(readFileSync(source, "utf8"));
    } catch (error) {
      throw new UserError(`${args.file} is not valid YAML: ${(error as Error).message.split("\n")[0]}`, {
        exitCode: ExitCode.invalidInput,
      });
    }
    if (doc && typeof doc === "object" && "vkubeToken" in doc)
      redactor.add(String((doc as { vkubeToken: unknown }).vkubeToken));
    const format = detectFormat(doc);
    if (!format) {
      throw new UserError(
        `${args.file} is neither a VKubefile (Kind: vkube) nor a compose file (services:)`,
        {
          exitCode: ExitCode.invalidInput,
        },
      );
    }
    const name = flags.name ?? toName(basename(dirname(source)));
    const options = { name, target: flags.target, held: await new Credentials().heldSecrets() };
    const sourceDir = dirname(source);
    const kindOf = (p: string) => {
      const abs = resolve(sourceDir, p);
      if (!existsSync(abs)) return undefined;
      return statSync(abs).isFile() ? ("file" as const) : ("dir" as const);
    };
    const conversion: Conversion =
      format === "vkube"
        ? fromVKubefile(doc as Record<string, unknown>, options)
        : fromCompose(doc as Record<string, unknown>, options, kindOf);

    // File sources are relative to the source file; the manifest's are relative to itself.
    const out = flags.output ? resolve(flags.output) : undefined;
    const outDir = out ? dirname(out) : process.cwd();
    for (const c of conversion.manifest.spec.containers) {
      for (const f of c.files ?? []) {
        const abs = isAbsolute(f.source) ? f.source : resolve(sourceDir, f.source);
        const rel = relative(outDir, abs);
        f.source = rel.startsWith(".") ? rel : `./${rel}`;
      }
    }
    const text = `# Converted by svc from ${basename(source)} (${format === "vkube" ? "VKubefile" : "docker compose"}).\n${stringify(conversion.manifest, { lineWidth: 0 })}`;

    const checkDir = out ? outDir : mkdtempSync(join(tmpdir(), "svc-convert-"));
    const checkFile = out ?? join(checkDir, "service.yaml");
    writeFileSync(checkFile, text);
    // Checks the result as svc will read it; where its file sources live is the user's choice.
    const loaded = loadServices({ cwd: outDir, files: [checkFile], vars: {}, allowOutside: true });
    if (!out) rmSync(checkDir, { recursive: true, force: true });
    const valid = !hasErrors(loaded.diagnostics);

    if (!this.jsonEnabled()) {
      if (!out) process.stdout.write(text);
      const say = (line: string) => process.stderr.write(`${line}\n`);
      if (out) say(`${pc.green("✔")} wrote ${relative(process.cwd(), out) || out}`);
      for (const d of conversion.dropped) say(`${pc.yellow("not converted")}  ${d.path}: ${d.reason}`);
      for (const n of conversion.notes) say(`${pc.cyan("note")}  ${n}`);
      if (!valid && out)
        say(
          `${pc.red("the result needs fixes before svc validate passes:")}\n${renderDiagnostics(loaded.diagnostics)}`,
        );
    }
    const result: ConvertResult = {
      format,
      ...(out ? { file: out } : {}),
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

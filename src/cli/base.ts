import { Command } from "@oclif/core/command";
import * as Errors from "@oclif/core/errors";
import * as Flags from "@oclif/core/flags";
import type { Input, ParserOutput } from "@oclif/core/interfaces";
import pc from "picocolors";
import { redactor } from "../credentials/redact.js";
import { ExitCode, SvcError } from "../errors.js";
import { decodeToken } from "../platform/token.js";
import { suggestion } from "../suggest.js";

/** What oclif parses flags and arguments into. */
// biome-ignore lint/suspicious/noExplicitAny: oclif's own FlagOutput and ArgOutput, which it does not export.
type Parsed = { [name: string]: any };

/**
 * Every svc command: `--json` returns the command's typed result; errors become a message with a
 * hint and an exit code from the table in errors.ts. Stacks are shown only with --debug.
 */
export abstract class SvcCommand extends Command {
  static override enableJsonFlag = true;

  static override baseFlags = {
    debug: Flags.boolean({
      description: "Show stack traces and internal details on errors.",
      helpGroup: "GLOBAL",
    }),
  };

  /** Colourized JSON only on a terminal: piped or redirected output gets plain, fast JSON. */
  override logJson(json: unknown): void {
    if (process.stdout.isTTY) super.logJson(json);
    else process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
  }

  override async init(): Promise<void> {
    redactor.seedFromEnvironment(process.env, (token) => {
      try {
        return decodeToken(token).secret;
      } catch {
        return undefined;
      }
    });
    redactor.install();
    await super.init();
  }

  /** Set when the command line itself was refused: whatever oclif throws then is invalid input. */
  private parseFailed = false;

  protected override async parse<F extends Parsed, B extends Parsed, A extends Parsed>(
    options?: Input<F, B, A>,
    argv?: string[],
  ): Promise<ParserOutput<F, B, A>> {
    try {
      return await super.parse(options, argv);
    } catch (error) {
      this.parseFailed = true;
      throw error;
    }
  }

  protected override async catch(
    error: Error & { exitCode?: number; oclif?: { exit?: number } },
  ): Promise<unknown> {
    if (error instanceof Errors.ExitError) throw error;
    const debug = this.argv.includes("--debug");
    // Every error svc knows (input, credentials, platform, outcome unknown, missing capability)
    // is mapped here, once: a message, a hint, its exit code.
    if (error instanceof SvcError) {
      if (this.jsonEnabled()) {
        this.logJson({
          error: {
            kind: error.name,
            message: error.message,
            hint: error.options.hint,
            exitCode: error.exitCode,
          },
        });
      } else {
        process.stderr.write(`${pc.red("Error:")} ${error.message}\n`);
        if (error.options.hint) process.stderr.write(`${pc.dim("Try this:")} ${error.options.hint}\n`);
        if (debug && error.stack) process.stderr.write(`${error.stack}\n`);
      }
      this.exit(error.exitCode);
    }
    // oclif's own parse errors (unknown flag, value not among the options, missing argument or
    // value) are invalid input: exit 3, with the flag or value most likely meant; JSON with --json.
    if ((this.parseFailed || error.oclif?.exit !== undefined) && !debug) {
      const parseError = this.parseFailed || "parse" in error;
      const message = error.message.replace(/\nSee more help with --help$/, "");
      const meant = parseError ? this.meant(error as Error & { flags?: string[] }) : undefined;
      const help = `svc ${this.id?.replaceAll(":", " ")} --help`;
      const exitCode = parseError ? ExitCode.invalidInput : (error.oclif?.exit ?? ExitCode.error);
      if (this.jsonEnabled()) {
        const hint = meant ? `did you mean ${meant}? ${help}` : help;
        this.logJson({ error: { kind: "InvalidInput", message, hint, exitCode } });
      } else {
        process.stderr.write(
          `${pc.red("Error:")} ${message}\n${meant ? `Did you mean ${pc.bold(meant)}?\n` : ""}${pc.dim("Try this:")} ${help}\n`,
        );
      }
      this.exit(exitCode);
    }
    if (!debug) {
      process.stderr.write(
        `${pc.red("Error:")} ${error.message}\n${pc.dim("This is a bug in svc. Re-run with --debug for details and report it.")}\n`,
      );
      this.exit(ExitCode.error);
    }
    return super.catch(error);
  }

  /** For an unknown flag, the nearest real one; for a value not among a flag's options, the nearest option. */
  private meant(error: Error & { flags?: string[] }): string | undefined {
    const flags = Object.keys((this.constructor as typeof Command).flags ?? {});
    const [unknown] = error.flags ?? [];
    if (unknown !== undefined) {
      const flag = suggestion(unknown.replace(/^-+/, "").replace(/=.*/, ""), flags);
      return flag ? `--${flag}` : undefined;
    }
    const option = /^Expected --([\w-]+)=(.*) to be one of: (.*)$/m.exec(error.message);
    if (!option) return undefined;
    const [, flag, value, options] = option as unknown as [string, string, string, string];
    const meant = suggestion(value, options.split(", "));
    return meant ? `--${flag} ${meant}` : undefined;
  }
}

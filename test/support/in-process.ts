import { format } from "node:util";
import { Config } from "@oclif/core/config";
import { type CliResult, repoRoot } from "./cli.js";

let loaded: Promise<Config> | undefined;
let running = false;

type Write = typeof process.stdout.write;

/**
 * Runs a command of the built svc in this process: the same command classes (dist/commands, as
 * the CLI loads them), flags, output and exit codes, without starting Node and loading every
 * module again for each call — for the suites that run hundreds of commands (the exactness
 * harness). The environment and working directory are the process's own, so calls run one at a
 * time and both are restored after each; output is captured from stdout and stderr.
 */
export async function svcInProcess(
  args: string[],
  options: { cwd: string; env: Record<string, string> },
): Promise<CliResult> {
  if (running) throw new Error("svcInProcess runs one command at a time");
  running = true;
  loaded ??= Config.load(repoRoot);
  const config = await loaded;
  const saved = {
    env: { ...process.env },
    cwd: process.cwd(),
    stdout: process.stdout.write,
    stderr: process.stderr.write,
    log: console.log,
    error: console.error,
  };
  const output = { stdout: "", stderr: "" };
  const capture =
    (stream: "stdout" | "stderr"): Write =>
    (chunk: unknown, ...rest: unknown[]) => {
      output[stream] += typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString("utf8");
      const done = rest.find((r) => typeof r === "function") as (() => void) | undefined;
      done?.();
      return true;
    };
  let status = 0;
  try {
    Object.assign(process.env, { NO_COLOR: "1", FORCE_COLOR: "0" }, options.env);
    process.chdir(options.cwd);
    process.stdout.write = capture("stdout");
    process.stderr.write = capture("stderr");
    // oclif's this.log goes through console.log, which vitest would take for the test's own output.
    console.log = (...parts: unknown[]) => {
      output.stdout += `${format(...parts)}\n`;
    };
    console.error = (...parts: unknown[]) => {
      output.stderr += `${format(...parts)}\n`;
    };
    const [id, ...argv] = args;
    await config.runCommand(id as string, argv);
  } catch (error) {
    const exit = (error as { oclif?: { exit?: number } }).oclif?.exit;
    status = exit ?? 1;
    if (exit === undefined) output.stderr += `${(error as Error).stack ?? error}\n`;
  } finally {
    process.stdout.write = saved.stdout;
    process.stderr.write = saved.stderr;
    console.log = saved.log;
    console.error = saved.error;
    process.chdir(saved.cwd);
    for (const key of Object.keys(process.env)) if (!(key in saved.env)) delete process.env[key];
    Object.assign(process.env, saved.env);
    running = false;
  }
  return { status, ...output };
}

import type { Hook } from "@oclif/core/hooks";
import pc from "picocolors";
import { ExitCode } from "../errors.js";
import { suggestion } from "../suggest.js";

/**
 * An unknown command: say which, the nearest real one, and where the list is; exit 3 (invalid
 * input). Unlike @oclif/plugin-not-found, which suggests only through an interactive prompt, this
 * says it the same way at a terminal, in CI and in a pipe, and never waits for an answer.
 */
const hook: Hook<"command_not_found"> = async function (options) {
  const visible = options.config.commands.filter((c) => !c.hidden).flatMap((c) => [c.id, ...c.aliases]);
  const spaced = (id: string) => id.replaceAll(":", " ");
  const typed = spaced(options.id);
  const nearest = suggestion(options.id, visible);
  process.stderr.write(`${pc.red("Error:")} "${typed}" is not a svc command.\n`);
  if (nearest) process.stderr.write(`Did you mean ${pc.bold(`svc ${spaced(nearest)}`)}?\n`);
  process.stderr.write(`${pc.dim("Try this:")} svc help (every command)\n`);
  this.exit(ExitCode.invalidInput);
};

export default hook;

import { execute } from "@oclif/core/execute";
import { Exit } from "@oclif/core/handle";

/**
 * The CLI's entry (bin/run.js loads it from the bundle, dist/bundle/cli/main.js): oclif, with one
 * change. oclif ends a command that exits non-zero with process.exit(code), which drops output
 * still queued for a pipe: CI parsing `svc plan --json --detailed-exitcode` got a document cut at
 * 64 KB. Exit only once stdout and stderr have drained (a write's callback runs after earlier writes).
 */
export async function main(): Promise<void> {
  Exit.exit = ((code = 0) => {
    process.exitCode = code;
    let pending = 2;
    const drained = () => {
      if (--pending === 0) process.exit(code);
    };
    process.stdout.write("", drained);
    process.stderr.write("", drained);
  }) as typeof Exit.exit;
  await execute({ dir: import.meta.url });
}

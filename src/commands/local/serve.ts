import { SvcCommand } from "../../cli/base.js";
import { serveFlags } from "../../cli/local-flags.js";
import { ExitCode, UserError } from "../../errors.js";
import type { ApiMode } from "../../local/paths.js";
import { localPaths } from "../../local/paths.js";

/** Seconds, 0 or more (decimals allowed). */
function visibilityDelay(value: string): number {
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds < 0 || seconds > 600) {
    throw new UserError(`--fault-visibility-delay ${value} is not a number of seconds`, {
      hint: "give seconds from 0 (changes show at once) to 600, e.g. 1 or 2.5",
      exitCode: ExitCode.invalidInput,
    });
  }
  return seconds;
}

export default class LocalServe extends SvcCommand {
  static override summary = "Run the local platform in the foreground (what `svc local up` starts detached).";
  static override hidden = true;
  static override flags = { ...serveFlags };

  async run(): Promise<void> {
    const { flags } = await this.parse(LocalServe);
    const range = /^(\d+)-(\d+)$/.exec(flags["host-ports"]);
    if (!range) {
      throw new UserError(`--host-ports ${flags["host-ports"]} is not a range`, {
        hint: "write it as LOW-HIGH, e.g. 30000-32767",
        exitCode: ExitCode.invalidInput,
      });
    }
    const rate = (v: string | undefined) => (v === undefined ? undefined : Number(v));
    const log = (line: string) => process.stdout.write(`${new Date().toISOString()} ${line}\n`);
    // The server (fastify, SQLite, Docker, certificates) loads only here (ARCHITECTURE.md, start-up).
    const { startLocalPlatform } = await import("../../local/server/start.js");
    const running = await startLocalPlatform({
      paths: localPaths(),
      apiPort: flags.port,
      httpPort: flags["http-port"],
      httpsPort: flags["https-port"],
      hostPortRange: [Number(range[1]), Number(range[2])],
      api: (flags.api ?? "extended") as ApiMode,
      publishAddress: flags["publish-address"],
      ...(flags["fault-visibility-delay"] !== undefined
        ? { visibilityDelay: visibilityDelay(flags["fault-visibility-delay"]) }
        : {}),
      faults: {
        latencyMs: flags["fault-latency-ms"],
        jitterMs: flags["fault-jitter-ms"],
        errorRate: rate(flags["fault-error-rate"]),
        resetRate: rate(flags["fault-reset-rate"]),
        errorBodyRate: rate(flags["fault-error-body-rate"]),
        lostAnswerRate: rate(flags["fault-lost-answer-rate"]),
        ingressPatch501: flags["fault-ingress-patch-501"],
        echoRate: rate(flags["fault-echo-rate"]),
      },
      log,
    });
    await new Promise<void>((resolve) => {
      const stop = (signal: string) => {
        log(`${signal}: stopping, removing containers (records and volumes stay)`);
        running.close(true).then(resolve, (error) => {
          log(`stop failed: ${(error as Error).message}`);
          resolve();
        });
      };
      process.once("SIGTERM", () => stop("SIGTERM"));
      process.once("SIGINT", () => stop("SIGINT"));
    });
  }
}

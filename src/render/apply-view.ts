import pLimit from "p-limit";
import pc from "picocolors";
import type { ApplyResult } from "../apply/apply.js";
import type { ApplyEvent, ServiceOutcome } from "../apply/executor.js";
import type { ServicePlan } from "../plan/model.js";
import { countOf } from "../util/plural.js";

export type RunService = (service: ServicePlan, emit: (event: ApplyEvent) => void) => Promise<ServiceOutcome>;

/** How apply shows its progress and outcome: live at a terminal, plain lines in a log, JSON lines. */
export interface ApplyView {
  /** Runs the services, at most `parallelism` at once, showing each one's progress. */
  progress(services: ServicePlan[], parallelism: number, run: RunService): Promise<ServiceOutcome[]>;
  /** Every service's outcome, what was not applied and why. */
  summary(result: ApplyResult): void;
}

export function applyView(kind: "live" | "plain" | "json", log: (line: string) => void): ApplyView {
  if (kind === "json") return jsonView();
  const summary = (result: ApplyResult) => humanSummary(result, log);
  if (kind === "live") return { progress: taskList, summary };
  return { progress: eventsAsTheyCome((event) => plainEvent(event, log)), summary };
}

/** How often a log (plain lines, JSON lines) hears what a rollout is still waiting for. */
const WAITING_EVERY_MS = 10_000;

/**
 * Progress as one stream of events, services run at most `parallelism` at once. What a rollout
 * waits for comes at every look; a log gets it once per WAITING_EVERY_MS for each service.
 */
function eventsAsTheyCome(emit: (event: ApplyEvent) => void): ApplyView["progress"] {
  const said = new Map<string, number>();
  const throttled = (event: ApplyEvent) => {
    if (event.type === "waiting" && event.detail !== undefined) {
      const last = said.get(event.service) ?? 0;
      if (Date.now() - last < WAITING_EVERY_MS) return;
      said.set(event.service, Date.now());
    } else if (event.type === "waiting") said.set(event.service, Date.now());
    emit(event);
  };
  return (services, parallelism, run) => {
    const limit = pLimit(parallelism);
    return Promise.all(services.map((s) => limit(() => run(s, throttled))));
  };
}

/** A failure's first line: its last log lines are shown once, in the summary. */
const headline = (message: string) => (message.split("\n")[0] ?? "").replace(/; its last log lines:$/, "");

/** Newline-delimited JSON: each event with its time, then the summary (schemas/apply-event.schema.json). */
function jsonView(): ApplyView {
  const write = (value: object) => process.stdout.write(`${JSON.stringify(value)}\n`);
  return {
    progress: eventsAsTheyCome((event) => write({ ...event, time: new Date().toISOString() })),
    summary: (result) => write({ type: "summary", ...result }),
  };
}

/** On a terminal: a live task list, one line per service showing its current call. */
async function taskList(services: ServicePlan[], parallelism: number, run: RunService) {
  const outcomes = new Map<string, ServiceOutcome>();
  // Loaded only for a terminal's live view (see ARCHITECTURE.md, start-up).
  const { Listr } = await import("listr2");
  // A terminal of unknown size (`docker run -t`, `script`) says 0 columns, and listr2 would break
  // its lines after every character: such a terminal is taken as 80 wide, as listr2 does unsized ones.
  if (process.stdout.columns === 0) process.stdout.columns = 80;
  const list = new Listr(
    services.map((service) => ({
      title: `${service.name} (target ${service.target})`,
      task: async (_: unknown, task: { output: string; title: string }) => {
        const outcome = await run(service, (event) => {
          if (event.type === "call") task.output = `${event.operation}: ${event.cause}`;
          if (event.type === "waiting")
            task.output = event.detail ?? "waiting for containers to run and ports to answer";
          if (event.type === "note") task.output = event.message;
        });
        outcomes.set(service.name, outcome);
        if (outcome.status !== "applied")
          throw new Error(
            `${service.name}: ${outcome.status}${outcome.message ? `: ${headline(outcome.message)}` : ""}`,
          );
        task.title = `${service.name} (target ${service.target}): ${outcome.applied.join(", ")}`;
      },
    })),
    { concurrent: parallelism, exitOnError: false, rendererOptions: { collapseErrors: false } },
  );
  await list.run().catch(() => undefined);
  return services.map((s) => outcomes.get(s.name) as ServiceOutcome);
}

function plainEvent(event: ApplyEvent, log: (line: string) => void): void {
  switch (event.type) {
    case "call":
      log(`${pc.dim("→")} ${event.service}: ${event.operation} (${event.cause})`);
      break;
    case "called":
      log(
        `${pc.green("✔")} ${event.service}: ${event.operation} done${event.revision !== undefined ? ` (revision ${event.revision})` : ""}`,
      );
      break;
    case "note":
      log(`${pc.yellow("!")} ${event.service}: ${event.message}`);
      break;
    case "waiting":
      log(
        `${pc.dim("…")} ${event.service}: ${event.detail ?? "waiting for containers to run and ports to answer"}`,
      );
      break;
    case "done":
      if (event.outcome !== "applied")
        log(
          `${event.outcome === "restored" ? pc.yellow("↺") : pc.red("✖")} ${event.service}: ${event.outcome}${event.message ? `: ${headline(event.message)}` : ""}`,
        );
      break;
  }
}

function humanSummary(result: ApplyResult, log: (line: string) => void): void {
  if (result.services.length > 0) {
    log("");
    for (const s of result.services) {
      const mark =
        s.status === "applied"
          ? pc.green("✔")
          : s.status === "unchanged"
            ? pc.dim("=")
            : s.status === "restored"
              ? pc.yellow("↺")
              : pc.red("✖");
      log(
        `${mark} ${s.service} (target ${s.target}): ${s.status}${s.applied.length ? ` — ${s.applied.join(", ")}` : ""}${s.verified ? `; verified (${countOf(s.verified, "check")})` : ""}${s.restored?.length ? `; restored by ${s.restored.join(", ")}` : ""}`,
      );
      if (s.remaining.length && s.status !== "applied") log(`    not applied: ${s.remaining.join(", ")}`);
      if (s.message && s.status !== "applied") log(`    ${s.message}`);
      if (s.hint) log(`    ${pc.dim(`hint: ${s.hint}`)}`);
    }
  }
  const done = result.services.filter((s) => s.status === "applied");
  const failed = result.services.some((s) => s.status !== "applied" && s.status !== "unchanged");
  if (!failed && !result.interrupted && done.length > 0)
    log(pc.green(`Applied ${countOf(done.length, "service")}.`));
}

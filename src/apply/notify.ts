import { writeFileSync } from "node:fs";
import pc from "picocolors";
import { redactor } from "../credentials/redact.js";
import { ExitCode, type ExitCodeValue } from "../errors.js";
import type { NormalDomain } from "../plan/model.js";
import { countOf } from "../util/plural.js";
import type { ApplyResult } from "./apply.js";

/** The exit code an apply's outcome calls for (README "Exit codes"). */
export function applyExitCode(result: ApplyResult): ExitCodeValue {
  const has = (status: string) => result.services.some((s) => s.status === status);
  if (result.interrupted) return ExitCode.interrupted;
  if (has("unknown")) return ExitCode.outcomeUnknown;
  if (has("failed")) return has("applied") ? ExitCode.partiallyApplied : ExitCode.error;
  if (has("restored")) return ExitCode.restored;
  return ExitCode.ok;
}

/** What `svc apply --notify URL` posts once per apply with changes (schemas/notify-payload.schema.json). */
export interface NotifyPayload {
  version: 1;
  /** One line for a person; Slack incoming webhooks show it as the message. */
  text: string;
  command: "apply" | "rollback";
  exitCode: number;
  interrupted: boolean;
  /** The applied plan's digest. */
  digest: string;
  /** ISO time the apply ended. */
  time: string;
  services: {
    service: string;
    target: string;
    status: string;
    applied: string[];
    restored?: string[];
    message?: string;
    /** Where it answers: its first domain, when it has one. */
    url?: string;
  }[];
}

/** What the payload takes from the plan applied: its digest, and each service's first domain. */
interface PlanShown {
  digest: string;
  services: readonly { name: string; target: string; desired: { domains: readonly NormalDomain[] } }[];
}

export function notifyPayload(
  result: ApplyResult,
  context: { command: "apply" | "rollback"; plan: PlanShown; time?: string },
): NotifyPayload {
  const urls = new Map(
    context.plan.services.flatMap((s) => {
      const [domain] = s.desired.domains;
      return domain ? [[`${s.target}/${s.name}`, `${domain.https ? "https" : "http"}://${domain.name}`]] : [];
    }),
  );
  const exitCode = applyExitCode(result);
  const by = (status: string) => result.services.filter((s) => s.status === status).map((s) => s.service);
  const parts = [
    ["applied", by("applied")],
    ["restored after a failed check", by("restored")],
    ["failed", by("failed")],
    ["outcome unknown", by("unknown")],
  ] as const;
  const said = parts
    .filter(([, names]) => names.length > 0)
    .map(([what, names]) => `${what}: ${names.join(", ")}`);
  const icon = exitCode === ExitCode.ok ? "✅" : exitCode === ExitCode.restored ? "↩️" : "❌";
  return {
    version: 1,
    text: `${icon} svc ${context.command} of ${countOf(result.services.length, "service")} (exit ${exitCode})${said.length ? `: ${said.join("; ")}` : ""}${result.interrupted ? "; interrupted" : ""}`,
    command: context.command,
    exitCode,
    interrupted: result.interrupted,
    digest: context.plan.digest,
    time: context.time ?? new Date().toISOString(),
    services: result.services.map((s) => ({
      service: s.service,
      target: s.target,
      status: s.status,
      applied: s.applied,
      ...(s.restored ? { restored: s.restored } : {}),
      // The first line: the evidence (log lines) stays in the job's log.
      ...(s.message ? { message: s.message.split("\n")[0] as string } : {}),
      ...(urls.has(`${s.target}/${s.service}`)
        ? { url: urls.get(`${s.target}/${s.service}`) as string }
        : {}),
    })),
  };
}

/** How long the webhook may take to answer before the apply goes on without it. */
const NOTIFY_TIMEOUT_MS = 10_000;

/**
 * Posts the payload as JSON, through the redactor. A webhook that fails or does not answer is a
 * warning (returned), never a failed apply.
 */
export async function postNotification(url: string, payload: NotifyPayload): Promise<string | undefined> {
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: redactor.redact(JSON.stringify(payload)),
      signal: AbortSignal.timeout(NOTIFY_TIMEOUT_MS),
    });
    await response.arrayBuffer().catch(() => undefined);
    return response.ok ? undefined : `the webhook answered ${response.status}`;
  } catch (error) {
    const e = error as Error & { cause?: { code?: string } };
    return e.name === "TimeoutError"
      ? `the webhook did not answer within ${NOTIFY_TIMEOUT_MS / 1000} s`
      : `the webhook could not be reached (${e.cause?.code ?? e.message})`;
  }
}

/**
 * `--report FILE`: the payload, for a CI job's next step. A file that cannot be written is a
 * warning, as a webhook that fails is: the apply has happened either way.
 */
export function writeReport(file: string, payload: NotifyPayload): void {
  try {
    writeFileSync(file, `${redactor.redact(JSON.stringify(payload, null, 2))}\n`);
  } catch (error) {
    process.stderr.write(
      `${pc.yellow("Warning:")} the apply's report was not written to ${file}: ${(error as Error).message}\n`,
    );
  }
}

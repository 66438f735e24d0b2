import { readFileSync, writeFileSync } from "node:fs";
import type { Credentials } from "../credentials/credentials.js";
import { redactor } from "../credentials/redact.js";
import { resolveCredentials } from "../credentials/resolve.js";
import { ExitCode, UserError } from "../errors.js";
import { fingerprintOf } from "../plan/build.js";
import { fingerprintFor } from "../plan/fingerprint.js";
import { PLAN_FORMAT_VERSION, type Plan } from "../plan/model.js";
import { publicPlan, restoreSensitiveFiles } from "../plan/sensitive.js";
import { HttpPlatformClient } from "../platform/client.js";
import { packageFile } from "../util/package-root.js";
import { schemaValidator } from "../util/validator.js";

const validator = schemaValidator(
  packageFile("schemas/plan.schema.json"),
  packageFile("dist/apply/plan-validator.cjs"),
);

/** Saves a plan for `svc apply FILE` (plan --out, rollback --out): its public form, redacted, owner-only. */
export function writePlan(file: string, plan: Plan): void {
  writeFileSync(file, `${redactor.redact(JSON.stringify(publicPlan(plan), null, 2))}\n`, { mode: 0o600 });
}

/**
 * A plan saved with `svc plan --out`, checked against schemas/plan.schema.json: refused with a
 * clear message if it is not one this svc reads (an older format, or a file edited by hand).
 */
export function readPlan(file: string): Plan {
  let plan: unknown;
  try {
    plan = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new UserError(`${file} is not a saved plan: ${(error as Error).message}`, {
      exitCode: ExitCode.invalidInput,
    });
  }
  const version = (plan as { formatVersion?: unknown } | null)?.formatVersion;
  if (typeof version === "number" && version < PLAN_FORMAT_VERSION) {
    throw new UserError(
      `${file} was saved by an older svc (plan format ${version}; this svc reads format ${PLAN_FORMAT_VERSION})`,
      { hint: "make a new plan with svc plan --out FILE and review it", exitCode: ExitCode.stalePlan },
    );
  }
  const validate = validator();
  if (version !== PLAN_FORMAT_VERSION || !validate(plan)) {
    const first = validate.errors?.[0];
    const where = first ? ` (at ${first.instancePath || "the top"}: ${first.message})` : "";
    throw new UserError(`${file} is not a saved plan of format ${PLAN_FORMAT_VERSION}${where}`, {
      hint: "make one with svc plan --out FILE; a saved plan is applied as it was written, never edited",
      exitCode: ExitCode.invalidInput,
    });
  }
  return plan as Plan;
}

/**
 * A saved plan applies only while every service's live state, secrets and sensitive files are as
 * when it was made; otherwise nothing is applied (exit 4) and each moved service is named.
 */
export async function checkStale(plan: Plan, credentials: Credentials): Promise<void> {
  const stale: string[] = [];
  await Promise.all(
    plan.services.map(async (s) => {
      const { token, secrets } = await resolveCredentials(credentials, {
        target: s.target,
        containers: s.desired.containers,
      });
      const fingerprint = fingerprintFor(token.secret);
      const now = fingerprintOf(await new HttpPlatformClient(token).observe(), fingerprint);
      if (now.revision !== s.fingerprint.revision || now.hmac !== s.fingerprint.hmac) {
        const moved =
          now.revision !== undefined ? ` (revision ${s.fingerprint.revision} → ${now.revision})` : "";
        stale.push(`${s.name}: target ${s.target} changed since the plan${moved}`);
      }
      stale.push(...restoreSensitiveFiles(s, fingerprint));
      for (const c of s.desired.containers) {
        for (const v of Object.values(c.env)) {
          if ("secret" in v && fingerprint(secrets.get(v.secret) as string) !== v.hmac) {
            stale.push(`${s.name}: secret ${v.secret} changed since the plan`);
          }
        }
      }
    }),
  );
  if (stale.length > 0) {
    throw new UserError(`the saved plan is stale; nothing was applied:\n  ${stale.sort().join("\n  ")}`, {
      hint: "make a new plan with svc plan --out FILE and review it",
      exitCode: ExitCode.stalePlan,
    });
  }
}

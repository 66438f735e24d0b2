import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type ApplyEvent, applyService, type ServiceJob, type ServiceOutcome } from "../apply/executor.js";
import { Credentials } from "../credentials/credentials.js";
import { envVar } from "../credentials/names.js";
import { loadServices } from "../manifest/load.js";
import { fingerprintFor } from "../plan/fingerprint.js";
import type { ServicePlan } from "../plan/model.js";
import { makePlan } from "../plan/plan.js";
import { encodeToken } from "../platform/token.js";
import { FakeKeychain } from "./fake-keychain.js";
import type { FakePlatform } from "./fake-platform.js";
import { manifest, tempTree } from "./tmp.js";

/** plan and apply as svc makes them, against a FakePlatform: for unit tests of both stages. */

const SECRET = "unit-test-token-secret";
const credentials = () =>
  new Credentials(
    { [envVar("target", "local")]: encodeToken({ host: "https://fake.invalid", secret: SECRET }) },
    new FakeKeychain(),
  );

/** Each fake's repository: one directory, whose manifest each plan writes anew. */
const repositories = new WeakMap<FakePlatform, string>();

/** The plan of service `shop` (manifest() with these extra container lines and image) against the fake. */
export async function planAgainst(
  fake: FakePlatform,
  containerExtra = "",
  image = "registry.example.com/app:1.0",
): Promise<ServicePlan> {
  const dir = repositories.get(fake) ?? tempTree({});
  repositories.set(fake, dir);
  writeFileSync(join(dir, "service.yaml"), manifest("shop", containerExtra).replace("app:1.0", image));
  const loaded = loadServices({ paths: [dir], vars: {} });
  const made = await makePlan(loaded.services, {
    credentials: credentials(),
    parallelism: 1,
    client: () => fake,
  });
  const problems = [...loaded.diagnostics, ...made.diagnostics].filter((d) => d.severity === "error");
  if (problems.length > 0) throw new Error(`the test's manifest has problems: ${JSON.stringify(problems)}`);
  return made.services[0] as ServicePlan;
}

/** Applies a plan to the fake as apply does (waiting for the rollout only when asked); its outcome and events. */
export async function applyTo(
  fake: FakePlatform,
  service: ServicePlan,
  {
    stopping = false,
    wait = false,
    stableForMs = 0,
  }: { stopping?: boolean; wait?: boolean; stableForMs?: number } = {},
): Promise<{ outcome: ServiceOutcome; events: ApplyEvent[] }> {
  const events: ApplyEvent[] = [];
  const outcome = await applyService(fakeJob(fake, service), {
    wait,
    timeoutMs: 2000,
    stableForMs,
    settleMs: 300,
    stopping: () => stopping,
    emit: (e) => events.push(e),
  });
  return { outcome, events };
}

/** The job apply makes of a plan, against the fake. */
export function fakeJob(fake: FakePlatform, service: ServicePlan): ServiceJob {
  return {
    plan: service,
    client: fake,
    fingerprint: fingerprintFor(SECRET),
    capabilities: fake.caps,
    secrets: new Map(),
    loginFor: () => undefined,
  };
}

import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningPlatform } from "../src/local/server.js";
import type { Plan } from "../src/plan/model.js";
import { svcAsync } from "./support/cli.js";
import { docker, engineAvailable, ensureExampleImages } from "./support/engine.js";
import {
  API_MODES,
  createService,
  eventually,
  page,
  platformRecord,
  type ServiceApi,
  startTestPlatform,
} from "./support/local-platform.js";

/**
 * The exactness harness: random manifests for one service and the transitions between them
 * (images, env, secrets, files, units, storage, domains, containers added, removed, renamed),
 * each planned, saved, applied and checked against the platform:
 *   (a, b) a second plan says No changes;  (c) the calls made are the planned calls, in order;
 *   (d) containers restarted iff the plan said so;  (e) data in storage survived unless the plan
 *   was destructive;  (f) every container answers when apply says it is done.
 * EXACTNESS_TRANSITIONS per API mode (CI: 24); `npm run bench -- exactness` runs 2,000 and reports
 * transitions per minute. EXACTNESS_SEED reproduces a run; a failure names its seed and step.
 */
const TRANSITIONS = Number(process.env.EXACTNESS_TRANSITIONS ?? 24);
const SEED = Number(process.env.EXACTNESS_SEED ?? Date.now() % 1_000_000);
const hasEngine = await engineAvailable("the exactness harness");

const FAMILIES = {
  web: { image: "svc-examples/shop-web", port: 8080, path: "/" },
  api: { image: "svc-examples/shop-api", port: 9000, path: "/cgi-bin/health" },
  worker: { image: "svc-examples/hello", port: 7000, path: "/" },
} as const;
type Family = keyof typeof FAMILIES;

interface ContainerState {
  family: Family;
  /** A second name for the same family: switching is a rename. */
  renamed: boolean;
  version: "1.0" | "2.0";
  units: 1 | 2;
  mode?: "a" | "b";
  secret?: "one" | "two";
  file?: "one" | "two";
}

interface ServiceState {
  containers: ContainerState[];
  /** Which container mounts the storage (the platform requires one), and where. */
  storageOn: number;
  storagePath: "/data" | "/var/lib/app";
  domain: boolean;
}

const containerArb = (family: Family): fc.Arbitrary<ContainerState> =>
  fc.record(
    {
      family: fc.constant(family),
      renamed: fc.boolean(),
      version: fc.constantFrom("1.0" as const, "2.0" as const),
      units: fc.constantFrom(1 as const, 2 as const),
      mode: fc.constantFrom("a" as const, "b" as const),
      secret: fc.constantFrom("one" as const, "two" as const),
      file: fc.constantFrom("one" as const, "two" as const),
    },
    { requiredKeys: ["family", "renamed", "version", "units"] },
  );

const stateArb: fc.Arbitrary<ServiceState> = fc
  .subarray(Object.keys(FAMILIES) as Family[], { minLength: 1 })
  .chain((families) =>
    fc.record({
      containers: fc.tuple(...families.map(containerArb)),
      storageOn: fc.nat({ max: families.length - 1 }),
      storagePath: fc.constantFrom("/data" as const, "/var/lib/app" as const),
      domain: fc.boolean(),
    }),
  );

const nameOf = (c: ContainerState) => (c.renamed ? `${c.family}2` : c.family);

function manifestOf(state: ServiceState, target: string): string {
  const containers = state.containers.map((c, i) => {
    const { image, port } = FAMILIES[c.family];
    const env = [
      ...(c.mode ? [`        MODE: ${c.mode}`] : []),
      ...(c.secret ? [`        TOKEN: { secret: exactness-${c.secret} }`] : []),
    ];
    return [
      `    - name: ${nameOf(c)}`,
      `      image: ${image}:${c.version}`,
      `      units: ${c.units}`,
      `      ports: [${port}]`,
      `      command: [/bin/httpd, -f, -p, "${port}", -h, /www]`,
      ...(env.length ? ["      env:", ...env] : []),
      ...(c.file ? [`      files: [{ source: ./conf-${c.file}.txt, target: /etc/app.conf }]`] : []),
      ...(i === state.storageOn ? [`      storage: ${state.storagePath}`] : []),
    ].join("\n");
  });
  const web = state.containers.some((c) => c.family === "web");
  return `apiVersion: svc/v1
kind: Service
metadata:
  name: exactness
spec:
  target: ${target}
  containers:
${containers.join("\n")}
${state.domain && web ? `  domains:\n    - { name: ${target}.exactness.test, port: 8080 }\n` : ""}`;
}

type PodStatus = {
  podStatus: {
    containerStatuses: { name: string; restartCount: number; state: { running?: { startedAt: string } } }[];
  };
};

describe.runIf(hasEngine).each(API_MODES)("exactness harness (--api %s)", (mode) => {
  let platform: RunningPlatform & { home: string };
  let api: ServiceApi;
  let id: string;
  let dir: string;
  let env: Record<string, string>;
  const target = `ex-${mode}`;

  beforeAll(async () => {
    await ensureExampleImages();
    platform = await startTestPlatform({ api: mode });
    ({ id, api } = await createService(platform, { units: 8, persistStorage: true, name: target }).then(
      (s) => {
        env = {
          [`SVC_TOKEN_${target.toUpperCase().replace(/-/g, "_")}`]: s.token,
          SVC_SECRET_EXACTNESS_ONE: "first-secret-value",
          SVC_SECRET_EXACTNESS_TWO: "second-secret-value",
          DBUS_SESSION_BUS_ADDRESS: "unix:path=/nonexistent",
        };
        return s;
      },
    ));
    dir = mkdtempSync(join(tmpdir(), "svc-exactness-"));
    writeFileSync(join(dir, "conf-one.txt"), "setting = one\n");
    writeFileSync(join(dir, "conf-two.txt"), "setting = two\n");
  }, 120_000);
  afterAll(async () => {
    await platform?.close(true);
  });

  const starts = async () => {
    const s = await api.call<PodStatus>("GET", "/api/v1/k8s/pod/status");
    if (s.status !== 200) return new Map<string, string>();
    return new Map(
      (s.body.podStatus?.containerStatuses ?? []).map((c) => [
        c.name,
        `${c.restartCount}@${c.state.running?.startedAt}`,
      ]),
    );
  };
  /** Runs a shell command in one of the service's containers through the engine. */
  const exec = async (container: string, script: string): Promise<string | undefined> => {
    const [found] = await docker.listContainers({
      filters: { label: [`dev.svc.service=${id}`, `dev.svc.container=${container}`] },
    });
    if (!found) return undefined;
    const run = await docker.getContainer(found.Id).exec({
      Cmd: ["/bin/sh", "-c", script],
      AttachStdout: true,
      AttachStderr: true,
    });
    const stream = await run.start({});
    const chunks: Buffer[] = [];
    await new Promise<void>((resolve) => {
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", resolve);
    });
    return Buffer.concat(chunks).toString("latin1");
  };

  it(`${TRANSITIONS} random transitions: each plan exact, each apply as planned (seed ${SEED})`, async () => {
    const states = fc.sample(stateArb, { numRuns: TRANSITIONS, seed: SEED + API_MODES.indexOf(mode) });
    let previous: ServiceState | undefined;
    for (const [step, state] of states.entries()) {
      const where = `seed ${SEED}, step ${step} (EXACTNESS_SEED=${SEED} reproduces it)`;
      writeFileSync(join(dir, "service.yaml"), manifestOf(state, target));
      const before = await starts();
      // A marker in the storage that stays mounted where it was: it must survive.
      const keeper = previous?.containers[previous.storageOn];
      const marker = `step-${step}`;
      if (keeper && previous) await exec(nameOf(keeper), `echo ${marker} > ${previous.storagePath}/marker`);

      const planned = await svcAsync(["plan", "--out", join(dir, "plan.json"), "--format", "json"], {
        env,
        cwd: dir,
      });
      expect(planned.status, `${where}: plan\n${planned.stdout}${planned.stderr}`).toBe(0);
      const plan = JSON.parse(planned.stdout) as Plan;
      const service = plan.services[0];
      if (!service) throw new Error(`${where}: no service planned`);
      expect(plan.summary.errors, `${where}: preflight\n${JSON.stringify(service.diagnostics)}`).toBe(0);

      const applied = await svcAsync(
        [
          "apply",
          join(dir, "plan.json"),
          "--auto-approve",
          "--allow-destructive",
          "--json",
          "--timeout",
          "60",
        ],
        { env, cwd: dir },
      );
      expect(applied.status, `${where}: apply\n${applied.stdout}${applied.stderr}`).toBe(0);
      // (c) the calls made are exactly the planned calls, in order.
      const calls = applied.stdout
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line) as { type: string; operation?: string })
        .filter((e) => e.type === "call")
        .map((e) => e.operation);
      expect(calls, where).toEqual(service.operations.map((o) => o.kind));

      // (a, b) the live state is the manifest: a second plan says No changes.
      const again = await svcAsync(["plan", "--detailed-exitcode"], { env, cwd: dir });
      expect(again.status, `${where}: second plan\n${again.stdout}${again.stderr}`).toBe(0);

      // (d) containers restarted iff the plan said so.
      const after = await starts();
      const kept = [...before.keys()].filter((name) => after.has(name));
      const restarted = kept.filter((name) => before.get(name) !== after.get(name));
      if (!service.restarts) expect(restarted, `${where}: restarted without [restarts]`).toEqual([]);
      else if (kept.length > 0)
        expect(restarted.length, `${where}: [restarts] but none restarted`).toBeGreaterThan(0);

      // (e) data in storage survived unless the plan was destructive.
      const now = state.containers[state.storageOn];
      if (keeper && previous && now && !service.destructive) {
        expect(nameOf(now), `${where}: storage moved without destructive`).toBe(nameOf(keeper));
        expect(state.storagePath).toBe(previous.storagePath);
        expect((await exec(nameOf(now), `cat ${state.storagePath}/marker`))?.trim(), where).toContain(marker);
      }

      // (f) every container answers on its port once apply says done.
      for (const c of state.containers) {
        const port = platformRecord(platform, id).hostPort(nameOf(c), FAMILIES[c.family].port);
        expect(port, `${where}: ${nameOf(c)} has a host port`).toBeDefined();
        const url = `http://127.0.0.1:${port}${FAMILIES[c.family].path}`;
        await eventually(() => page(url), 10_000).catch((error: Error) => {
          throw new Error(`${where}: ${nameOf(c)} does not answer at ${url} (${error.message})`);
        });
      }
      previous = state;
    }
  }, 1_800_000);
});

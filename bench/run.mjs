// `npm run bench`: each benchmark runs its subject and its baseline alternately in the same run
// (so machine load affects both alike) and reports min/median/max of both, the ratio of the
// medians and whether it meets its goal (issue #18); then one table of every goal, PASS or MISS.
// Usage: node bench/run.mjs [name...]   (needs `npm run build` first)
// Names: version validate plan scale apply plan-one history build fuzz exactness (default: all but
// build, fuzz and exactness). BENCH_JSON=1 also prints the results as JSON.
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const bin = fileURLToPath(new URL("../bin/run.js", import.meta.url));
const runs = Number(process.env.BENCH_RUNS ?? 21);

/** Wall time of one command in milliseconds; fails loudly if the command fails. */
function time(argv) {
  const start = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" },
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${argv.join(" ")} exited ${r.status}: ${r.stderr}`);
  return ms;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
const spread = (xs) => ({
  min: Number(Math.min(...xs).toFixed(1)),
  median: Number(median(xs).toFixed(1)),
  max: Number(Math.max(...xs).toFixed(1)),
});

/** One bench's report: min/median/max of subject and baseline, the ratio of medians, and the goal. */
function ratioResult(name, description, subject, baseline, goal) {
  const ratio = median(subject) / median(baseline);
  return {
    name,
    description,
    runs: subject.length,
    subject: spread(subject),
    baseline: spread(baseline),
    ratio: Number(ratio.toFixed(2)),
    goal,
    met: ratio <= goal,
  };
}

/** Start-up benches: the CLI against bare Node, alternately, after one warm-up run each. */
const benches = {
  version: {
    description: "svc --version vs node -e 0",
    subject: [process.execPath, bin, "--version"],
    baseline: [process.execPath, "-e", "0"],
    goal: 1.5,
  },
  validate: {
    description: "svc validate examples/shop vs node -e 0",
    subject: [process.execPath, bin, "validate", "examples/shop"],
    baseline: [process.execPath, "-e", "0"],
    goal: 2,
  },
};

/**
 * `svc local serve` in its own state directory, with ephemeral ports and extra flags; resolves
 * once it answers, with its addresses and admin token, and a stop function.
 */
async function startBenchPlatform(prefix, extraArgs = []) {
  const home = mkdtempSync(join(tmpdir(), prefix));
  const server = spawn(
    process.execPath,
    [bin, "local", "serve", "--port", "0", "--http-port", "0", "--https-port", "0", ...extraArgs],
    { env: { ...process.env, SVC_HOME: home }, stdio: "ignore" },
  );
  const stop = () => {
    server.kill("SIGTERM");
    return new Promise((r) => server.once("exit", r));
  };
  let info;
  for (let i = 0; i < 300 && !info; i++) {
    await new Promise((r) => setTimeout(r, 100));
    try {
      info = JSON.parse(readFileSync(join(home, "local/server.json"), "utf8"));
    } catch {}
  }
  if (!info) {
    await stop();
    throw new Error("the local platform did not start (is a Docker engine running?)");
  }
  return { home, info, admin: readFileSync(join(home, "local/admin-token"), "utf8"), stop };
}

/** Creates `count` user services s0… on a bench platform: their tokens as SVC_TOKEN_S<i>. */
async function createServices(info, admin, count, env) {
  for (let i = 0; i < count; i++) {
    const r = await fetch(`${info.apiUrl}/admin/v1/services`, {
      method: "POST",
      headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
      body: JSON.stringify({ units: 1, name: `s${i}` }),
    });
    env[`SVC_TOKEN_S${i}`] = (await r.json()).token;
  }
}

/** A directory of `count` manifests, one never-deployed service each (targets s0…). */
function manifests(dir, count) {
  for (let i = 0; i < count; i++) {
    mkdirSync(join(dir, `s${i}`), { recursive: true });
    writeFileSync(
      join(dir, `s${i}`, "service.yaml"),
      `apiVersion: svc/v1\nkind: Service\nmetadata: { name: s${i} }\nspec:\n  target: s${i}\n  containers:\n    - { name: web, image: "svc-examples/hello:1.0", ports: [8080] }\n`,
    );
  }
  return dir;
}

const PARALLELISM = 8;
const CALLS_PER_SERVICE = 3; // userService, deployment/info, images (never deployed: a create)

/** `svc plan --json` of a directory of `count` services: wall times and the peak RSS (/usr/bin/time). */
function timePlans(dir, count, env, runs) {
  const times = [];
  let peakKb = 0;
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    const r = spawnSync(
      "/usr/bin/time",
      ["-f", "%M", process.execPath, bin, "plan", dir, "--json", "--parallelism", String(PARALLELISM)],
      { env, encoding: "utf8", maxBuffer: 1024 * 1024 * 1024 },
    );
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
    if (r.status !== 0) throw new Error(`svc plan exited ${r.status}: ${r.stderr.slice(-2000)}`);
    const plan = JSON.parse(r.stdout);
    if (plan.summary.create !== count)
      throw new Error(`expected ${count} creates, got ${JSON.stringify(plan.summary)}`);
    peakKb = Math.max(peakKb, Number(r.stderr.trim().split("\n").at(-1)));
  }
  return { times, peakMb: Math.round(peakKb / 1024) };
}

const benchEnv = () => ({
  ...process.env,
  NO_COLOR: "1",
  DBUS_SESSION_BUS_ADDRESS: "unix:path=/nonexistent",
  ...JSON.parse(process.env.BENCH_EXTRA_ENV ?? "{}"),
});

/**
 * `svc plan` over many services on the local platform with injected API latency, against the
 * ideal bound (services x calls / parallelism x latency): how close observation gets to perfect
 * concurrency. Needs a Docker engine (the local platform checks for one).
 */
async function planBench() {
  const services = Number(process.env.BENCH_SERVICES ?? 500);
  const latencyMs = Number(process.env.BENCH_LATENCY_MS ?? 20);
  const { home, info, admin, stop } = await startBenchPlatform("svc-bench-", [
    "--fault-latency-ms",
    String(latencyMs),
  ]);
  try {
    const env = benchEnv();
    await createServices(info, admin, services, env);
    const dir = manifests(join(home, "manifests"), services);
    const { times, peakMb } = timePlans(dir, services, env, Number(process.env.BENCH_PLAN_RUNS ?? 3));
    const ideal = ((services * CALLS_PER_SERVICE) / PARALLELISM) * latencyMs;
    const result = ratioResult(
      "plan",
      `svc plan over ${services} services, ${latencyMs} ms API latency, parallelism ${PARALLELISM}, vs the ideal bound ${services}x${CALLS_PER_SERVICE}/${PARALLELISM}x${latencyMs} ms; peak RSS ${peakMb} MB`,
      times,
      [ideal],
      1.15,
    );
    return { ...result, peakRssMb: peakMb };
  } finally {
    await stop();
  }
}

/**
 * svc plan over 50, 500 and 5,000 services (20 ms latency): time and peak RSS of each, the time
 * per service (linear when it stays flat), and the RSS goal at 5,000 (<= 300 MB).
 */
async function scaleBench() {
  const sizes = (process.env.BENCH_SCALE ?? "50,500,5000").split(",").map(Number);
  const latencyMs = Number(process.env.BENCH_LATENCY_MS ?? 20);
  const { home, info, admin, stop } = await startBenchPlatform("svc-bench-scale-", [
    "--fault-latency-ms",
    String(latencyMs),
  ]);
  try {
    const tokens = {};
    await createServices(info, admin, Math.max(...sizes), tokens);
    const rows = sizes.map((n) => {
      // Only the tokens of the services planned, as in a repository of n services: svc plan
      // looks for orphans among every target it has a token for.
      const env = { ...benchEnv() };
      for (let i = 0; i < n; i++) env[`SVC_TOKEN_S${i}`] = tokens[`SVC_TOKEN_S${i}`];
      const { times, peakMb } = timePlans(manifests(join(home, `m${n}`), n), n, env, 1);
      const ms = times[0];
      return {
        services: n,
        ms: Math.round(ms),
        perServiceMs: Number((ms / n).toFixed(2)),
        peakRssMb: peakMb,
      };
    });
    console.log("scale: services | wall ms | ms per service | peak RSS MB");
    for (const r of rows) console.log(`scale: ${r.services} | ${r.ms} | ${r.perServiceMs} | ${r.peakRssMb}`);
    const largest = rows.at(-1);
    // Linear: the time per service at the largest size is no more than 1.25x that at 500.
    const mid = rows.find((r) => r.services === 500) ?? rows[0];
    const growth = largest.perServiceMs / mid.perServiceMs;
    return {
      name: "scale",
      description: `svc plan at ${sizes.join(", ")} services: ms per service at ${largest.services} vs at ${mid.services} (linear: <= 1.25x), peak RSS at ${largest.services} ${largest.peakRssMb} MB (<= 300 MB)`,
      runs: 1,
      rows,
      ratio: Number(growth.toFixed(2)),
      goal: 1.25,
      met: growth <= 1.25 && largest.peakRssMb <= 300,
    };
  } finally {
    await stop();
  }
}

/**
 * `svc plan` of one deployed service with no changes on the local platform (no injected latency):
 * a figure tracked from run to run, against bare Node for scale. No goal.
 */
/** One service on target s0 serving hello on port 8080; `metadata` is the flow map's inside after `name: `. */
function writeOneService(dir, metadata) {
  writeFileSync(
    join(dir, "service.yaml"),
    `apiVersion: svc/v1\nkind: Service\nmetadata: { name: ${metadata} }\nspec:\n  target: s0\n  containers:\n    - name: web\n      image: svc-examples/hello:1.0\n      ports: [8080]\n      command: [/bin/httpd, -f, -p, "8080", -h, /www]\n`,
  );
}

/** The built svc in `dir` with `env`: its stdout, or an error with everything it said. */
function svcIn(dir, env) {
  return (...args) => {
    const r = spawnSync(process.execPath, [bin, ...args], { cwd: dir, env, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`svc ${args.join(" ")} exited ${r.status}: ${r.stdout}${r.stderr}`);
    return r.stdout;
  };
}

async function planOneBench() {
  const { home, info, admin, stop } = await startBenchPlatform("svc-bench-one-");
  try {
    const env = benchEnv();
    await createServices(info, admin, 1, env);
    const dir = join(home, "one");
    mkdirSync(dir, { recursive: true });
    writeOneService(dir, "one");
    const svc = svcIn(dir, env);
    svc("apply", "--auto-approve", "--stable-for", "0");
    const subject = [];
    const baseline = [];
    for (let i = 0; i < runs; i++) {
      const start = process.hrtime.bigint();
      if (!svc("plan").includes("No changes"))
        throw new Error("the plan of the deployed service is not No changes");
      subject.push(Number(process.hrtime.bigint() - start) / 1e6);
      baseline.push(time([process.execPath, "-e", "0"]));
    }
    return {
      ...ratioResult(
        "plan-one",
        "svc plan of one deployed service, no changes, local platform, vs node -e 0 (tracked, no goal)",
        subject,
        baseline,
        undefined,
      ),
      met: undefined,
    };
  } finally {
    await stop();
  }
}

/**
 * `svc history -n 10` in a repository of 200 commits, 20 of which change the service (issue #28:
 * at most 3x one `svc plan` of that service): only the commits that touched it are planned, in
 * parallel, against one observation of the live state.
 */
async function historyBench() {
  const { home, info, admin, stop } = await startBenchPlatform("svc-bench-history-");
  try {
    const env = benchEnv();
    await createServices(info, admin, 1, env);
    const repo = join(home, "repo");
    const dir = join(repo, "svc");
    mkdirSync(dir, { recursive: true });
    const git = (...args) => {
      const r = spawnSync("git", args, { cwd: repo, encoding: "utf8" });
      if (r.status !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
    };
    git("init", "-q", "-b", "main");
    git("config", "user.email", "bench@example.test");
    git("config", "user.name", "Bench");
    for (let i = 0; i < 200; i++) {
      if (i % 10 === 0) writeOneService(dir, `one, description: release ${i / 10}`);
      else writeFileSync(join(repo, "notes.txt"), `note ${i}\n`);
      git("add", "-A");
      git("commit", "-q", "-m", `commit ${i}`);
    }
    const svc = svcIn(dir, env);
    svc("apply", "--auto-approve", "--stable-for", "0");
    const subject = [];
    const baseline = [];
    for (let i = 0; i < runs; i++) {
      let start = process.hrtime.bigint();
      const history = JSON.parse(svc("history", "-n", "10", "--json"));
      if (history.releases.length !== 10 || history.live === undefined)
        throw new Error("svc history did not list 10 releases with the live one");
      subject.push(Number(process.hrtime.bigint() - start) / 1e6);
      start = process.hrtime.bigint();
      if (!svc("plan").includes("No changes"))
        throw new Error("the plan of the deployed service is not No changes");
      baseline.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    return ratioResult(
      "history",
      "svc history -n 10 (200 commits, 20 releases) vs one svc plan of the service, local platform",
      subject,
      baseline,
      3,
    );
  } finally {
    await stop();
  }
}

/** Waits until a TCP port on loopback accepts a connection. */
async function portAnswers(port, deadlineMs = 30_000) {
  const { connect } = await import("node:net");
  const end = Date.now() + deadlineMs;
  while (Date.now() < end) {
    const ok = await new Promise((resolve) => {
      const s = connect({ host: "127.0.0.1", port }, () => {
        s.destroy();
        resolve(true);
      });
      s.on("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`port ${port} did not answer`);
}

/**
 * `svc apply examples/shop --stable-for 0` (into a fresh user service each run, waiting for the rollout) against
 * starting the same pod by hand with `docker run`: an infra container publishing the ports, the
 * two containers joined to it with the same env, volume and config file, waited for the same way.
 */
async function applyBench() {
  const { info, admin, stop } = await startBenchPlatform("svc-bench-apply-");
  const docker = (...args) => {
    const r = spawnSync("docker", args, { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`docker ${args.join(" ")}: ${r.stderr}`);
    return r.stdout.trim();
  };
  try {
    const conf = join(root, "examples/shop/httpd.conf");
    const runs = Number(process.env.BENCH_APPLY_RUNS ?? 9);
    const subject = [];
    const baseline = [];
    for (let i = 0; i < runs; i++) {
      const r = await fetch(`${info.apiUrl}/admin/v1/services`, {
        method: "POST",
        headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
        body: JSON.stringify({ units: 8, persistStorage: true, specifiedPort: true }),
      });
      const { token } = await r.json();
      const env = {
        ...process.env,
        NO_COLOR: "1",
        SVC_TOKEN_LOCAL: token,
        SVC_SECRET_SHOP_DB_PASSWORD: "bench-pass-1",
        DBUS_SESSION_BUS_ADDRESS: "unix:path=/nonexistent",
      };
      let start = process.hrtime.bigint();
      const applied = spawnSync(
        process.execPath,
        // --stable-for 0: svc's own cost. The stability window (10 s by default) is waiting, not
        // work, and the docker run baseline has none.
        [bin, "apply", "--auto-approve", "--stable-for", "0", "-f", "examples/shop/service.yaml"],
        {
          cwd: root,
          env,
          encoding: "utf8",
        },
      );
      if (applied.status !== 0)
        throw new Error(`svc apply exited ${applied.status}: ${applied.stdout}${applied.stderr}`);
      subject.push(Number(process.hrtime.bigint() - start) / 1e6);
      // Free the domains (unique across services) and stop this run's pod before the next run.
      const { decodeToken } = await import("../dist/platform/token.js");
      const { secret } = decodeToken(token);
      for (const [method, path] of [
        ["DELETE", "/api/v1/k8s/pod/ingress"],
        ["POST", "/api/v1/k8s/pod/stop"],
      ]) {
        await fetch(`${info.apiUrl}${path}`, { method, headers: { secret } });
      }

      const name = `svc-bench-${process.pid}-${i}`;
      start = process.hrtime.bigint();
      docker(
        "run",
        "-d",
        "--name",
        `${name}-pod`,
        "-p",
        "0:80",
        "-p",
        "0:9000",
        "svc-local/pause:1",
        "/bin/sh",
        "-c",
        "trap 'exit 0' TERM; while :; do sleep 3600 & wait $!; done",
      );
      docker(
        "run",
        "-d",
        "--init",
        "--name",
        `${name}-web`,
        "--network",
        `container:${name}-pod`,
        "-e",
        "LOG_LEVEL=info",
        "-v",
        `${conf}:/etc/httpd.conf:ro`,
        "--entrypoint",
        "/bin/httpd",
        "svc-examples/shop-web:1.0",
        "-f",
        "-v",
        "-p",
        "80",
        "-h",
        "/www",
        "-c",
        "/etc/httpd.conf",
      );
      docker(
        "run",
        "-d",
        "--init",
        "--name",
        `${name}-api`,
        "--network",
        `container:${name}-pod`,
        "-e",
        "DATA_DIR=/var/lib/shop",
        "-e",
        "DB_PASSWORD=bench-pass-1",
        "-v",
        `${name}-data:/var/lib/shop`,
        "--entrypoint",
        "/bin/httpd",
        "svc-examples/shop-api:1.0",
        "-f",
        "-v",
        "-p",
        "9000",
        "-h",
        "/www",
      );
      const ports = docker("port", `${name}-pod`)
        .split("\n")
        .map((l) => Number(l.split(":").at(-1)));
      await Promise.all(ports.map((p) => portAnswers(p)));
      baseline.push(Number(process.hrtime.bigint() - start) / 1e6);
      docker("rm", "-f", `${name}-web`, `${name}-api`, `${name}-pod`);
      docker("volume", "rm", `${name}-data`);
    }
    return ratioResult(
      "apply",
      "svc apply examples/shop --stable-for 0 (fresh target, waiting for readiness, no stability window) vs the same pod with docker run, waited for the same way",
      subject,
      baseline,
      1.3,
    );
  } finally {
    await stop();
  }
}

/** A test suite run at a bench's count: whether it passed (a failure fails the bench) and how long it took. */
function suite(file, env) {
  const start = Date.now();
  const r = spawnSync("npx", ["vitest", "run", file], { env: { ...process.env, ...env }, stdio: "inherit" });
  if (r.status !== 0) process.exitCode = 1;
  return { ok: r.status === 0, ms: Date.now() - start };
}

/**
 * A no-op `svc plan` of a service whose container is built from a context (hashing it, asking the
 * registry for its build) against the same plan with the image named by digest, no `build:`.
 * Needs a Docker engine, docker-registry and htpasswd.
 */
async function buildBench() {
  const work = mkdtempSync(join(tmpdir(), "svc-bench-build-"));
  const password = `bench-${process.pid}`;
  writeFileSync(
    join(work, "htpasswd"),
    spawnSync("htpasswd", ["-Bbn", "bench", password], { encoding: "utf8" }).stdout,
  );
  const port = 5600 + (process.pid % 300);
  writeFileSync(
    join(work, "registry.yml"),
    `version: 0.1\nlog: { level: warn }\nstorage: { filesystem: { rootdirectory: ${work}/data } }\nhttp: { addr: 127.0.0.1:${port} }\nauth: { htpasswd: { realm: bench, path: ${work}/htpasswd } }\n`,
  );
  const registry = spawn("docker-registry", ["serve", join(work, "registry.yml")], { stdio: "ignore" });
  const { info, admin, stop } = await startBenchPlatform("svc-bench-build-platform-");
  try {
    for (let i = 0; i < 100; i++) {
      try {
        if ((await fetch(`http://127.0.0.1:${port}/v2/`)).status === 401) break;
      } catch {}
      await new Promise((r) => setTimeout(r, 100));
    }
    // A context of a few thousand files, as a real service's source tree.
    const files = Number(process.env.BENCH_BUILD_FILES ?? 3000);
    const repo = join(work, "repo");
    mkdirSync(join(repo, ".git"), { recursive: true });
    mkdirSync(join(repo, "web", "www"), { recursive: true });
    copyFileSync("/bin/busybox", join(repo, "web", "busybox"));
    for (let i = 0; i < files; i++) {
      const dir = join(repo, "web", "www", `d${i % 50}`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `f${i}.txt`), `file ${i}\n`.repeat(50));
    }
    writeFileSync(
      join(repo, "web", "Dockerfile"),
      'FROM scratch\nCOPY busybox /bin/busybox\nCOPY www /www\nENTRYPOINT ["/bin/busybox"]\nCMD ["httpd", "-f", "-p", "8080", "-h", "/www"]\n',
    );
    const manifest = (container) =>
      `apiVersion: svc/v1\nkind: Service\nmetadata: { name: built }\nspec:\n  target: local\n  containers:\n    - name: web\n${container}      ports: [8080]\n`;
    writeFileSync(
      join(repo, "built.yaml"),
      manifest(`      image: 127.0.0.1:${port}/bench/web\n      build: ./web\n`),
    );
    const r = await fetch(`${info.apiUrl}/admin/v1/services`, {
      method: "POST",
      headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
      body: JSON.stringify({ units: 1 }),
    });
    const { token } = await r.json();
    const env = {
      ...process.env,
      NO_COLOR: "1",
      SVC_TOKEN_LOCAL: token,
      [`SVC_REGISTRY_127_0_0_1_${port}`]: `bench:${password}`,
      DBUS_SESSION_BUS_ADDRESS: "unix:path=/nonexistent",
    };
    const svc = svcIn(repo, env);
    svc("apply", "--auto-approve", "--stable-for", "0", "-f", "built.yaml");
    const image = JSON.parse(svc("build", "-f", "built.yaml", "--json")).images[0].image;
    writeFileSync(join(repo, "plain.yaml"), manifest(`      image: ${image}\n`));
    const timed = (file) => {
      const start = process.hrtime.bigint();
      const out = svc("plan", "-f", file, "--detailed-exitcode");
      if (!out.includes("No changes")) throw new Error(`the plan of ${file} is not No changes:\n${out}`);
      return Number(process.hrtime.bigint() - start) / 1e6;
    };
    timed("built.yaml");
    timed("plain.yaml");
    const subject = [];
    const baseline = [];
    const n = Number(process.env.BENCH_RUNS ?? 11);
    for (let i = 0; i < n; i++) {
      subject.push(timed("built.yaml"));
      baseline.push(timed("plain.yaml"));
    }
    return ratioResult(
      "build",
      `no-op svc plan of a built container (context of ${files} files) vs the same plan by digest without build:`,
      subject,
      baseline,
      1.2,
    );
  } finally {
    await stop();
    registry.kill();
  }
}

const special = {
  plan: planBench,
  scale: scaleBench,
  apply: applyBench,
  "plan-one": planOneBench,
  build: buildBench,
  history: historyBench,
};
const selected = process.argv.slice(2).length
  ? process.argv.slice(2)
  : [...Object.keys(benches), "plan", "scale", "apply", "plan-one", "history"];
const results = [];
const show = (r) => {
  const ms = (x) => `${x.min}/${x.median}/${x.max} ms`;
  const mark = r.met === undefined ? "tracked" : r.met ? "PASS" : "MISS";
  const goal = r.goal === undefined ? "" : ` (goal <= ${r.goal}x)`;
  const measured = r.subject
    ? `${ms(r.subject)} vs ${ms(r.baseline)} (min/median/max of ${r.runs})`
    : `${r.runs} run`;
  console.log(`${r.name}: ${measured} = ${r.ratio}x${goal} ${mark} — ${r.description}`);
};
for (const name of selected) {
  if (name === "fuzz") {
    // Not a ratio: the fuzz suite at ten times CI's count (npm run bench -- fuzz).
    const runs = Number(process.env.FUZZ_RUNS ?? 20_000);
    const { ok, ms } = suite("src/manifest/fuzz.test.ts", { FUZZ_RUNS: String(runs) });
    console.log(
      `fuzz: ${runs} mutated manifests in ${ms} ms: ${ok ? "no crash, hang or unlocated problem" : "FAILED (see above)"}`,
    );
    continue;
  }
  if (name === "exactness") {
    // Not a ratio: the exactness harness at a large count, reported as transitions per minute.
    const count = Number(process.env.EXACTNESS_TRANSITIONS ?? 2_000);
    const { ok, ms } = suite("test/exactness-", { EXACTNESS_TRANSITIONS: String(count) });
    const minutes = ms / 60_000;
    console.log(
      `exactness: ${count} transitions per API mode in ${minutes.toFixed(1)} min (${((2 * count) / minutes).toFixed(1)} transitions/minute): ${ok ? "every plan exact, every apply as planned" : "FAILED (see above)"}`,
    );
    continue;
  }
  if (special[name]) {
    const r = await special[name]();
    show(r);
    results.push(r);
    continue;
  }
  const b = benches[name];
  if (!b)
    throw new Error(
      `unknown bench ${name}; known: ${[...Object.keys(benches), ...Object.keys(special)].join(", ")}, fuzz, exactness`,
    );
  time(b.subject); // warm the file cache before measuring
  time(b.baseline);
  const subject = [];
  const baseline = [];
  for (let i = 0; i < runs; i++) {
    subject.push(time(b.subject));
    baseline.push(time(b.baseline));
  }
  const r = ratioResult(name, b.description, subject, baseline, b.goal);
  show(r);
  results.push(r);
}
if (results.length > 0) {
  console.log("\ngoal                                   ratio   goal     result");
  for (const r of results) {
    const mark = r.met === undefined ? "tracked" : r.met ? "PASS" : "MISS";
    console.log(
      `${r.name.padEnd(38)} ${`${r.ratio}x`.padEnd(7)} ${(r.goal === undefined ? "-" : `<= ${r.goal}x`).padEnd(8)} ${mark}`,
    );
  }
}
if (process.env.BENCH_JSON) console.log(JSON.stringify(results, null, 2));

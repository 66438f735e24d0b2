// `npm run bench`: each benchmark runs its subject and its baseline alternately in the same run
// (so machine load affects both alike) and reports medians and their ratio against a goal.
// Usage: node bench/run.mjs [name...]   (needs `npm run build` first)
import { spawnSync } from "node:child_process";
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

const benches = {
  validate: {
    description: "svc validate examples/shop vs node -e 0",
    subject: [process.execPath, bin, "validate", "examples/shop"],
    baseline: [process.execPath, "-e", "0"],
    goal: 3,
  },
};

const selected = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(benches);
const results = [];
for (const name of selected) {
  const b = benches[name];
  if (!b) throw new Error(`unknown bench ${name}; known: ${Object.keys(benches).join(", ")}`);
  time(b.subject); // warm the file cache before measuring
  time(b.baseline);
  const subject = [];
  const baseline = [];
  for (let i = 0; i < runs; i++) {
    subject.push(time(b.subject));
    baseline.push(time(b.baseline));
  }
  const ratio = median(subject) / median(baseline);
  results.push({
    name,
    description: b.description,
    runs,
    subjectMedianMs: Number(median(subject).toFixed(1)),
    baselineMedianMs: Number(median(baseline).toFixed(1)),
    ratio: Number(ratio.toFixed(2)),
    goal: b.goal,
    met: ratio <= b.goal,
  });
}
for (const r of results) {
  console.log(
    `${r.name}: ${r.subjectMedianMs} ms vs baseline ${r.baselineMedianMs} ms = ${r.ratio}x (goal <= ${r.goal}x: ${r.met ? "met" : "NOT met"}) — ${r.description}, median of ${r.runs}`,
  );
}
if (process.env.BENCH_JSON) console.log(JSON.stringify(results, null, 2));

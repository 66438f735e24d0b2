// Runs a command with the environment's svc credentials, by convention instead of by name: every
// secret in SVC_SECRETS_JSON (the step's `toJSON(secrets)`) whose name starts with SVC_TOKEN_,
// SVC_SECRET_ or SVC_REGISTRY_, and SVC_NOTIFY_URL (apply's webhook), becomes a variable of the
// command, and nothing else does (not the JSON itself). Adding a service or a secret is adding a repository or environment secret; no
// workflow changes. Exits with the command's code. Never prints a value.
//
//   node with-svc-secrets.mjs COMMAND [ARG...]    (env: SVC_SECRETS_JSON)
import { spawn } from "node:child_process";

const [command, ...args] = process.argv.slice(2);
if (!command) {
  console.error("usage: node with-svc-secrets.mjs COMMAND [ARG...]");
  process.exit(2);
}
let secrets = {};
try {
  secrets = JSON.parse(process.env.SVC_SECRETS_JSON || "{}");
} catch {
  console.error("::error title=svc secrets::SVC_SECRETS_JSON is not JSON: set it to ${{ toJSON(secrets) }}");
  process.exit(2);
}
const env = { ...process.env };
delete env.SVC_SECRETS_JSON;
const passed = [];
for (const [name, value] of Object.entries(secrets)) {
  if (/^SVC_((TOKEN|SECRET|REGISTRY)_[A-Z0-9_]+|NOTIFY_URL)$/.test(name) && typeof value === "string") {
    env[name] = value;
    passed.push(name);
  }
}
console.error(
  `svc credentials from secrets: ${passed.sort().join(", ") || "none (add SVC_TOKEN_<TARGET> as a secret)"}`,
);
const child = spawn(command, args, { env, stdio: "inherit" });
child.on("error", (error) => {
  console.error(`${command}: ${error.message}`);
  process.exit(127);
});
child.on("close", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));

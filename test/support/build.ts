import { execFileSync } from "node:child_process";

/** CLI tests run the built `bin/run.js`, so build once before any suite (tsc and the schema validator). */
export default function setup(): void {
  execFileSync("npm", ["run", "--silent", "build"], { stdio: "inherit" });
}

import { readFileSync } from "node:fs";
import { join } from "node:path";
import Ajv2020 from "ajv/dist/2020.js";
import { expect } from "vitest";
import { repoRoot } from "./cli.js";

const ajv = new Ajv2020.default({ strict: true, allErrors: true });

/** Asserts that a command's real --json output matches the schema svc publishes for it. */
export function expectMatchesSchema(schema: string, value: unknown): void {
  const check =
    ajv.getSchema(`https://svc.dev/schemas/${schema}`) ??
    ajv.compile(JSON.parse(readFileSync(join(repoRoot, "schemas", schema), "utf8")));
  expect(check(value), `${schema}: ${JSON.stringify(check.errors)}`).toBe(true);
}

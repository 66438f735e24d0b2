// Build step: compiles the schemas the CLI validates against (manifests; saved plans) into
// standalone validator modules, so the CLI does not pay ajv's schema compilation (~80 ms) on every
// start. src/util/validator.ts uses them when present (the built CLI) and compiles at run time
// otherwise (unit tests on the sources).
import { readFileSync, writeFileSync } from "node:fs";
import Ajv2020 from "ajv/dist/2020.js";
import standaloneCode from "ajv/dist/standalone/index.js";
import ajvErrors from "ajv-errors";

for (const [schema, out] of [
  ["service.schema.json", "manifest/service-validator.cjs"],
  ["plan.schema.json", "apply/plan-validator.cjs"],
]) {
  const ajv = new Ajv2020.default({ allErrors: true, verbose: true, strict: true, code: { source: true } });
  ajvErrors.default(ajv);
  const parsed = JSON.parse(readFileSync(new URL(`../schemas/${schema}`, import.meta.url), "utf8"));
  writeFileSync(new URL(`../dist/${out}`, import.meta.url), standaloneCode.default(ajv, ajv.compile(parsed)));
}

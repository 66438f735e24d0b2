// Build step: compiles schemas/service.schema.json into a standalone validator module, so the
// CLI does not pay ajv's schema compilation (~80 ms) on every start. src/manifest/schema.ts uses it
// when present (the built CLI) and compiles at run time otherwise (unit tests on the sources).
import { readFileSync, writeFileSync } from "node:fs";
import Ajv2020 from "ajv/dist/2020.js";
import standaloneCode from "ajv/dist/standalone/index.js";
import ajvErrors from "ajv-errors";

const ajv = new Ajv2020.default({ allErrors: true, verbose: true, strict: true, code: { source: true } });
ajvErrors.default(ajv);
const schema = JSON.parse(readFileSync(new URL("../schemas/service.schema.json", import.meta.url), "utf8"));
const code = standaloneCode.default(ajv, ajv.compile(schema));
writeFileSync(new URL("../dist/manifest/service-validator.cjs", import.meta.url), code);

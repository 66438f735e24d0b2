import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { ValidateFunction } from "ajv/dist/2020.js";

const require = createRequire(import.meta.url);

/**
 * A JSON Schema validator: the one scripts/compile-schemas.mjs precompiled at build time when it
 * is there (the built CLI), else compiled now (unit tests on the sources). ajv itself is loaded
 * only in the second case: compiling is the slow part of start-up.
 */
export function schemaValidator(schema: string, precompiled: string): () => ValidateFunction {
  let compiled: ValidateFunction | undefined;
  return () => {
    if (compiled) return compiled;
    if (existsSync(precompiled)) compiled = require(precompiled) as ValidateFunction;
    else {
      const { Ajv2020 } = require("ajv/dist/2020.js") as typeof import("ajv/dist/2020.js");
      const ajvErrors = require("ajv-errors") as typeof import("ajv-errors").default;
      const ajv = new Ajv2020({ allErrors: true, verbose: true, strict: true });
      ajvErrors(ajv);
      compiled = ajv.compile(JSON.parse(readFileSync(schema, "utf8")));
    }
    return compiled;
  };
}

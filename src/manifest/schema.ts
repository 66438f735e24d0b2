import type { ErrorObject } from "ajv/dist/2020.js";
import { suggestion } from "../suggest.js";
import { packageFile } from "../util/package-root.js";
import { countOf } from "../util/plural.js";
import { schemaValidator } from "../util/validator.js";
import type { Diagnostic, PathSegment } from "./diagnostics.js";
import { diagnostic, formatPath, parsePointer } from "./diagnostics.js";
import type { Locator } from "./locate.js";

export const serviceSchemaPath = packageFile("schemas/service.schema.json");

/** Precompiled by scripts/compile-schemas.mjs at build time; absent when running the sources. */
const validator = schemaValidator(serviceSchemaPath, packageFile("dist/manifest/service-validator.cjs"));

/** Validates a merged manifest against schemas/service.schema.json; every problem, each located. */
export function checkSchema(value: unknown, locate: Locator): Diagnostic[] {
  const validate = validator();
  if (validate(value)) return [];
  return translate(validate.errors ?? [], locate);
}

function translate(errors: ErrorObject[], locate: Locator): Diagnostic[] {
  const nameRules = new Map<string, string>();
  for (const e of errors) {
    if (
      e.keyword === "errorMessage" &&
      innerErrors(e).some((i) => i.schemaPath.includes("/propertyNames/"))
    ) {
      nameRules.set(e.instancePath, e.message ?? "");
    }
  }
  // "unknown field imgae, did you mean image?" already says image is missing: say it once.
  const typos = new Set<string>();
  for (const e of errors) {
    if (e.keyword !== "additionalProperties") continue;
    const hint = suggestion(String(e.params.additionalProperty), allowedFields(e));
    if (hint) typos.add(`${e.instancePath}/${hint}`);
  }
  const out: Diagnostic[] = [];
  for (const e of errors) {
    const path = parsePointer(e.instancePath);
    const error = (at: PathSegment[], message: string, hint?: string, onKey = false): void => {
      const pos = onKey ? locate.key(at) : locate.value(at);
      out.push(diagnostic({ ...pos, path: formatPath(at) }, message, hint));
    };
    switch (e.keyword) {
      case "if":
        break; // the failing then/else branch reports the real problem
      case "errorMessage":
        if (!nameRules.has(e.instancePath) || e.message !== nameRules.get(e.instancePath)) {
          error(path, e.message ?? "is invalid");
        }
        break;
      case "propertyNames": {
        const name = String(e.params.propertyName);
        error(
          [...path, name],
          `invalid name "${name}": ${nameRules.get(e.instancePath) ?? "not allowed"}`,
          undefined,
          true,
        );
        break;
      }
      case "required":
        if (!typos.has(`${e.instancePath}/${e.params.missingProperty}`)) {
          error(path, `missing required field "${e.params.missingProperty}"`);
        }
        break;
      case "additionalProperties": {
        const key = String(e.params.additionalProperty);
        const allowed = allowedFields(e);
        const typo = suggestion(key, allowed);
        const hint = typo
          ? `did you mean "${typo}"?`
          : `allowed fields here: ${[...allowed].sort().join(", ")}`;
        error([...path, key], `unknown field "${key}"`, hint, true);
        break;
      }
      case "type":
        error(path, `must be ${article(String(e.params.type))}`);
        break;
      case "const":
        error(path, `must be ${JSON.stringify(e.params.allowedValue)}`);
        break;
      case "enum":
        error(path, `must be one of ${(e.params.allowedValues as unknown[]).join(", ")}`);
        break;
      case "minItems":
        error(path, `must have at least ${countOf(e.params.limit, "item")}`);
        break;
      case "maxItems":
        error(path, `must have at most ${e.params.limit} items`);
        break;
      default:
        error(path, e.message ?? "is invalid");
    }
  }
  return out;
}

function innerErrors(e: ErrorObject): ErrorObject[] {
  return (e.params as { errors?: ErrorObject[] }).errors ?? [];
}

function allowedFields(e: ErrorObject): string[] {
  return Object.keys((e.parentSchema as { properties?: object })?.properties ?? {});
}

function article(type: string): string {
  const names: Record<string, string> = {
    object: "a map",
    array: "a list",
    string: "a string",
    integer: "a whole number",
    number: "a number",
    boolean: "true or false",
  };
  return names[type] ?? type;
}

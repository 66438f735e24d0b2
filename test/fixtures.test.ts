import { describe, expect, it } from "vitest";
import { svc } from "./support/cli.js";

/** Each invalid fixture: where the problem is reported and what it says. */
const cases: [fixture: string, line: number, column: number, message: string][] = [
  ["broken-yaml", 10, 6, "`units` is indented 5 spaces, which lines up with no key above it"],
  ["wrong-type", 10, 14, "must be one of 1, 2, 4, 8, 16"],
  ["unknown-key", 9, 7, 'unknown field "imgae"'],
  ["duplicate-container-port", 14, 11, 'container port 8080/tcp is already used by container "web"'],
  ["duplicate-image", 11, 14, 'image "app:1.0" is also used by container "web"'],
  ["bad-env-name", 12, 9, 'invalid name "9LIVES"'],
  ["empty-env-value", 11, 20, "must not be empty"],
  ["missing-config-file", 11, 19, 'file "./nginx.conf" does not exist'],
  ["unset-variable", 9, 14, "variable SVC_TEST_SURELY_UNSET_TAG is not set"],
  ["port-out-of-range", 11, 24, "must be a port from 1 to 65535"],
  ["short-port-out-of-range", 10, 15, "host port 70000 is out of range"],
  ["relative-storage", 10, 16, "must be an absolute path"],
  ["domain-https-mismatch", 13, 7, "domains under example.com must all use the same https setting"],
  ["duplicate-domain", 13, 15, 'domain "a.example.com" is listed twice'],
  ["build-missing-context", 10, 14, 'build context "./nowhere" does not exist'],
  ["build-missing-dockerfile", 10, 44, "no Dockerfile.prod in the build context ./web"],
  ["build-image-without-registry", 9, 14, 'image "acme/web:1.0" names no registry to push the build to'],
];

describe("svc validate on invalid fixtures", () => {
  it.each(cases)("%s: exit 3 at line %i, column %i", (fixture, line, column, message) => {
    const file = `test/fixtures/invalid/${fixture}/service.yaml`;
    const r = svc(["validate", "-f", file]);
    expect(r.status).toBe(3);
    const first = r.stdout.split("\n")[0] ?? "";
    expect(first.startsWith(`${file}:${line}:${column}  `)).toBe(true);
    expect(first).toContain(message);
    expect(r.stdout).toMatch(/✖ 1 error in 1 file/);
  });
});

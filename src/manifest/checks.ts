import { dirname, relative } from "node:path";
import type { PortSpec, RawContainer, Readiness, VerifyCheck } from "./model.js";
import { DEFAULT_VERIFY_TIMEOUT_S } from "./model.js";

/**
 * A container's verify checks, resolved: an http check's port against the container's tcp ports
 * (the first by default), a command's directory from the manifest's.
 */
export function verifyChecks(
  raw: RawContainer["verify"],
  ports: PortSpec[],
  manifestOf: (n: number) => string,
  error: (n: number, message: string, hint: string) => void,
): VerifyCheck[] {
  const tcp = ports.filter((p) => p.protocol === "tcp").map((p) => p.container);
  return (raw ?? []).flatMap((check, n): VerifyCheck[] => {
    const timeout = check.timeout ?? DEFAULT_VERIFY_TIMEOUT_S;
    if ("run" in check)
      return [{ run: check.run, dir: relative(process.cwd(), dirname(manifestOf(n))), timeout }];
    const port = check.port ?? tcp[0];
    if (port === undefined || !tcp.includes(port)) {
      error(
        n,
        port === undefined
          ? "an http verify check needs a tcp port, and this container publishes none"
          : `the verify check GETs port ${port}, which this container does not publish over tcp`,
        tcp.length > 0
          ? `its tcp ports: ${tcp.join(", ")}`
          : "add the port to ports, or use { run: COMMAND }",
      );
      return [];
    }
    return [
      {
        http: check.http,
        port,
        expect: check.expect ?? 200,
        ...(check.contains !== undefined ? { contains: check.contains } : {}),
        timeout,
      },
    ];
  });
}

/**
 * A container's readiness check, resolved against its ports: the port it names must be one the
 * container publishes over tcp (an http check without a port uses the first).
 */
export function readiness(
  raw: RawContainer["ready"],
  ports: PortSpec[],
  error: (message: string, hint: string) => void,
): Readiness | undefined {
  if (raw === undefined || raw === "none") return raw;
  if ("http" in raw && !/^\/\S*$/.test(raw.http)) {
    error(
      `readiness path "${raw.http}" must start with /, like /healthz`,
      "a path on the container's port, no spaces",
    );
    return undefined;
  }
  const tcp = ports.filter((p) => p.protocol === "tcp").map((p) => p.container);
  const port = "tcp" in raw ? raw.tcp : (raw.port ?? tcp[0]);
  if (port === undefined || !tcp.includes(port)) {
    error(
      port === undefined
        ? "an http readiness check needs a tcp port, and this container publishes none"
        : `readiness checks port ${port}, which this container does not publish over tcp`,
      tcp.length > 0 ? `its tcp ports: ${tcp.join(", ")}` : "add the port to ports, or use ready: none",
    );
    return undefined;
  }
  if ("tcp" in raw) return { tcp: port };
  return { http: raw.http, port, ...(raw.failAfter !== undefined ? { failAfter: raw.failAfter } : {}) };
}

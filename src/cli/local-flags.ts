import * as Flags from "@oclif/core/flags";

/** Listener and fault flags shared by `svc local up` and `svc local serve`. */
export const serveFlags = {
  api: Flags.string({
    description:
      "Which API to speak: `real` (only what real V Kube providers offer) or `extended` (plus svc's advertised capabilities). Default: extended, or the running platform's.",
    options: ["real", "extended"],
  }),
  port: Flags.integer({ description: "API port on 127.0.0.1.", default: 7480, min: 0, max: 65535 }),
  "http-port": Flags.integer({ description: "Domain proxy HTTP port.", default: 7481, min: 0, max: 65535 }),
  "https-port": Flags.integer({ description: "Domain proxy HTTPS port.", default: 7482, min: 0, max: 65535 }),
  "host-ports": Flags.string({ description: "Range host ports are assigned from.", default: "30000-32767" }),
  "publish-address": Flags.string({
    description: "Address containers' host ports listen on (0.0.0.0 exposes them beyond this machine).",
    default: "127.0.0.1",
  }),
  "fault-visibility-delay": Flags.string({
    description:
      "Seconds a change takes to show in pod/status, deployment/info and the configmap, as on a Kubernetes-backed provider (the previous pod shows until the new one exists). Default: 1 with --api real, 0 with extended; 0 turns it off.",
    helpValue: "S",
  }),
  "fault-latency-ms": Flags.integer({ description: "Testing: delay every API call.", hidden: true, min: 0 }),
  "fault-jitter-ms": Flags.integer({ description: "Testing: random extra delay.", hidden: true, min: 0 }),
  "fault-error-rate": Flags.string({
    description: "Testing: share of calls answered 503 (0-1).",
    hidden: true,
  }),
  "fault-reset-rate": Flags.string({
    description: "Testing: share of connections reset (0-1).",
    hidden: true,
  }),
  "fault-error-body-rate": Flags.string({
    description: "Testing: share of calls answered 200 with an error body, nothing applied (0-1).",
    hidden: true,
  }),
  "fault-lost-answer-rate": Flags.string({
    description: "Testing: share of mutations that take effect, then lose their answer (0-1).",
    hidden: true,
  }),
  "fault-echo-rate": Flags.string({
    description: "Testing: share of mutations answered 500; every error answer echoes the request (0-1).",
    hidden: true,
  }),
  "fault-ingress-patch-501": Flags.boolean({
    description: "Testing: PATCH pod/ingress answers 501 (an older provider).",
    hidden: true,
  }),
};

export function serveArgs(flags: Record<string, unknown>): string[] {
  return Object.keys(serveFlags).flatMap((name) => {
    const value = flags[name];
    if (value === undefined || value === false) return [];
    return value === true ? [`--${name}`] : [`--${name}`, String(value)];
  });
}

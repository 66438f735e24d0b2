import * as Args from "@oclif/core/args";
import pc from "picocolors";
import { OpsCommand } from "../cli/ops-command.js";
import { notRunningWhy, observeRestarts } from "../plan/restarts.js";
import type { LiveContainer, PodView, UserService } from "../platform/model.js";
import { table } from "../render/table.js";

export interface TargetStatus {
  target: string;
  service: UserService;
  phase: string;
  hostIP: string;
  containers: {
    name: string;
    image: string;
    state: string;
    restarts: number;
    /** Not running as deployed: exited, crash-looping, or restarted recently. */
    problem?: string;
    ports: string[];
  }[];
  domains: { domain: string; containerPort: number; https: boolean }[];
}

export default class Status extends OpsCommand {
  static override summary = "Show a target's containers, state, restarts, ports, domains and expiry.";
  static override description =
    "With no TARGET, every target of the manifests in the current directory. Expiry and assigned host ports show only where the provider reports them.";
  static override args = { target: Args.string({ description: "Target name." }) };

  async run(): Promise<{ targets: TargetStatus[] }> {
    const { args } = await this.parse(Status);
    const targets: TargetStatus[] = [];
    for (const target of this.targets(args.target)) {
      const client = await this.client(target);
      const [{ state, pod }, caps] = await Promise.all([client.observeWithPod(), client.capabilities()]);
      const problems = await observeRestarts(client, caps, state.service, pod);
      targets.push(describe(target, state.service, state.containers ?? [], pod, problems));
    }
    if (!this.jsonEnabled()) for (const t of targets) this.log(render(t));
    return { targets };
  }
}

function describe(
  target: string,
  service: UserService,
  containers: LiveContainer[],
  pod: PodView,
  problems: Awaited<ReturnType<typeof observeRestarts>>,
): TargetStatus {
  const paused = service.status === "ServiceStop";
  return {
    target,
    service,
    phase: pod.phase,
    hostIP: pod.hostIP ?? "",
    containers: containers.map((c) => {
      const s = pod.containers.find((x) => x.name === c.name);
      const [state, detail] = Object.entries(s?.state ?? {})[0] ?? ["unknown", {}];
      const reason = (detail as { reason?: string }).reason;
      const problem = problems.find((p) => p.name === c.name);
      return {
        name: c.name,
        image: c.imageName,
        // A paused service's containers are stopped on purpose: not "terminated (Error)".
        state: paused ? "paused" : reason ? `${state} (${reason})` : state,
        restarts: s?.restartCount ?? 0,
        ...(problem ? { problem: `${c.name} ${notRunningWhy(problem)}` } : {}),
        ports: (c.ports ?? []).map(
          (p) => `${p.hostPort ? `${p.hostPort}->` : ""}${p.containerPort}/${p.protocol.toLowerCase()}`,
        ),
      };
    }),
    domains: pod.domains.map((d) => ({ domain: d.domain, containerPort: d.containerPort, https: d.isHttps })),
  };
}

function render(t: TargetStatus): string {
  const lines = [
    `${pc.bold(t.target)}  service ${t.service.id}  ${t.service.status}  pod ${t.phase}${t.hostIP ? `  host ${t.hostIP}` : ""}`,
    pc.dim(`${expiry(t.service.expiresAt)}  ${t.service.serviceOptions.resourceUnit}`),
  ];
  if (t.containers.length > 0) {
    lines.push(
      table(
        ["CONTAINER", "IMAGE", "STATE", "RESTARTS", "PORTS"],
        t.containers.map((c) => [c.name, c.image, c.state, String(c.restarts), c.ports.join(" ")]),
      ),
    );
  } else lines.push("nothing deployed yet");
  for (const c of t.containers) if (c.problem) lines.push(pc.yellow(`! ${c.problem}`));
  for (const d of t.domains)
    lines.push(`domain ${d.domain} -> ${d.containerPort}${d.https ? " (https)" : ""}`);
  return `${lines.join("\n")}\n`;
}

/** The provider may not report expiry at all: then it is unknown, not ended. */
function expiry(expiresAt: string | undefined): string {
  if (!expiresAt) return "expiry unknown (the provider does not report it)";
  const hours = Math.round((Date.parse(expiresAt) - Date.now()) / 3600_000);
  return `expires ${expiresAt} (${hours >= 0 ? `in ${hours} h` : "ended"})`;
}

import pc from "picocolors";
import { LISTING, OpsCommand } from "../cli/ops-command.js";
import type { UserService } from "../platform/model.js";
import { table } from "../render/table.js";
import { byText } from "../util/sorted.js";

const GROUP: Record<UserService["status"], "running" | "usable" | "past" | "aborted"> = {
  ServiceRunning: "running",
  ServicePending: "usable",
  ServiceStop: "usable",
  ServiceDone: "past",
  ServiceAbort: "aborted",
};

export default class Services extends OpsCommand {
  static override summary =
    "The user services your logins can see, by status: running, usable, past, aborted.";

  async run(): Promise<{
    services: { target: string; group: string; service?: UserService; problem?: string }[];
  }> {
    await this.parse(Services);
    const { entries } = await this.credentials.list("target");
    const services = await Promise.all(
      entries.map(async (e) => {
        try {
          const service = await (await this.client(e.name, LISTING)).userService();
          return { target: e.name, group: GROUP[service.status] ?? "usable", service };
        } catch (error) {
          return { target: e.name, group: "unreachable", problem: (error as Error).message };
        }
      }),
    );
    const order = ["running", "usable", "past", "aborted", "unreachable"];
    services.sort((a, b) => order.indexOf(a.group) - order.indexOf(b.group) || byText(a.target, b.target));
    if (!this.jsonEnabled()) {
      if (services.length === 0) this.log("no logins: add one with svc login <target>");
      else {
        this.log(
          table(
            ["GROUP", "TARGET", "SERVICE", "STATUS", "UNITS", "EXPIRES"],
            services.map((s) => [
              s.group === "unreachable" ? pc.yellow(s.group) : s.group,
              s.target,
              s.service?.id ?? "-",
              s.service?.status ?? "-",
              s.service?.serviceOptions.resourceUnit.replace("-Unit-Resource", "") ?? "-",
              s.service?.expiresAt?.slice(0, 10) ?? "-",
            ]),
          ),
        );
      }
    }
    return { services };
  }
}

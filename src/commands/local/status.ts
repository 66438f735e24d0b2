import pc from "picocolors";
import { SvcCommand } from "../../cli/base.js";
import { adminCall, healthy, readServerInfo } from "../../local/control.js";
import { localPaths } from "../../local/paths.js";
import type { ServerInfo } from "../../local/server.js";

export interface LocalStatusResult {
  running: boolean;
  server?: ServerInfo;
  services?: { id: string; status: string; units: string }[];
}

export default class LocalStatus extends SvcCommand {
  static override summary = "Show whether the local platform runs, its addresses and its user services.";

  async run(): Promise<LocalStatusResult> {
    await this.parse(LocalStatus);
    const paths = localPaths();
    const server = readServerInfo(paths);
    if (!(await healthy(server))) {
      if (!this.jsonEnabled())
        this.log(`local platform: ${pc.yellow("not running")} (start it with svc local up)`);
      return { running: false };
    }
    const { services } = await adminCall<{
      services: { id: string; status: string; serviceOptions: { resourceUnit: string } }[];
    }>(paths, "GET", "/admin/v1/services");
    const result: LocalStatusResult = {
      running: true,
      server: server as ServerInfo,
      services: services.map((s) => ({ id: s.id, status: s.status, units: s.serviceOptions.resourceUnit })),
    };
    if (!this.jsonEnabled()) {
      const s = result.server as ServerInfo;
      this.log(`local platform: ${pc.green("running")} (pid ${s.pid}, since ${s.startedAt})`);
      this.log(`  API        ${s.apiUrl} (${s.api ?? "extended"})`);
      this.log(`  HTTP       ${s.proxyHttp}   (domains, by Host header)`);
      this.log(`  HTTPS      ${s.proxyHttps}`);
      this.log(`  CA cert    ${s.caCertificate}`);
      this.log(`  database   ${s.database}`);
      this.log(`  log        ${s.log}`);
      for (const svc of result.services ?? [])
        this.log(`  service    ${svc.id}  ${svc.status}  ${svc.units}`);
    }
    return result;
  }
}

import pc from "picocolors";
import { SvcCommand } from "../../cli/base.js";
import { adminCall, healthy, readServerInfo } from "../../local/control/running.js";
import type { ServerInfo } from "../../local/paths.js";
import { localPaths } from "../../local/paths.js";

export interface LocalStatusResult {
  running: boolean;
  server?: ServerInfo;
  services?: {
    id: string;
    status: string;
    units: string;
    domains: { domain: string; https: boolean; curl: string }[];
  }[];
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
      services: {
        id: string;
        status: string;
        serviceOptions: { resourceUnit: string };
        domains: { domain: string; https: boolean }[];
      }[];
    }>(paths, "GET", "/admin/v1/services");
    const info = server as ServerInfo;
    const result: LocalStatusResult = {
      running: true,
      server: info,
      services: services.map((s) => ({
        id: s.id,
        status: s.status,
        units: s.serviceOptions.resourceUnit,
        domains: s.domains.map((d) => ({ ...d, curl: curlLine(d.domain, d.https, info) })),
      })),
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
      for (const svc of result.services ?? []) {
        this.log(`  service    ${svc.id}  ${svc.status}  ${svc.units}`);
        for (const d of svc.domains) this.log(`    ${d.domain}: ${d.curl}`);
      }
      if (result.services?.some((svc) => svc.domains.some((d) => d.https)))
        this.log(
          pc.dim(
            `  (browsers and other tools trust these https domains once the CA is in the system store: README, "The local platform")`,
          ),
        );
    }
    return result;
  }
}

/**
 * A command that reaches a local domain as is: the name resolves to the proxy through --resolve
 * (no /etc/hosts edit), https checks the local CA. An https domain is reached over https (its
 * http address redirects there).
 */
function curlLine(domain: string, https: boolean, server: ServerInfo): string {
  const proxy = new URL(https ? server.proxyHttps : server.proxyHttp);
  const port = proxy.port || (https ? "443" : "80");
  const where = `${proxy.protocol}//${domain}:${port}/`;
  return `curl --resolve ${domain}:${port}:${proxy.hostname}${https ? ` --cacert ${server.caCertificate}` : ""} ${where}`;
}

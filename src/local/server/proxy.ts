import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import tls from "node:tls";
import type { LocalCa } from "./certs.js";

/** Where a bound domain's traffic goes, or undefined when no service has bound it. */
export type RouteLookup = (domain: string) => { hostPort: number; isHttps: boolean } | undefined;

/**
 * The ingress of the local platform: routes by Host header to the host port published for the
 * bound container port. HTTPS domains are served on the HTTPS listener with certificates from the
 * local CA; a plain-HTTP request for one is redirected there.
 */
export class DomainProxy {
  private readonly httpServer: http.Server;
  private readonly httpsServer: https.Server;

  constructor(
    private readonly route: RouteLookup,
    ca: LocalCa,
  ) {
    this.httpServer = http.createServer((req, res) => this.handle(req, res, false));
    this.httpsServer = https.createServer(
      {
        SNICallback: (servername, callback) => {
          const target = this.route(servername.toLowerCase());
          if (!target?.isHttps) return callback(new Error(`no https domain ${servername}`));
          callback(null, tls.createSecureContext(ca.leaf(servername.toLowerCase())));
        },
      },
      (req, res) => this.handle(req, res, true),
    );
  }

  async listen(host: string, httpPort: number, httpsPort: number): Promise<{ http: number; https: number }> {
    const listen = (server: http.Server, port: number) =>
      new Promise<number>((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
      });
    return {
      http: await listen(this.httpServer, httpPort),
      https: await listen(this.httpsServer, httpsPort),
    };
  }

  async close(): Promise<void> {
    for (const server of [this.httpServer, this.httpsServer]) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse, secure: boolean): void {
    const host = (req.headers.host ?? "").replace(/:\d+$/, "").toLowerCase();
    const target = this.route(host);
    if (!target) {
      res.writeHead(404, { "content-type": "text/plain" }).end(`no service has bound the domain ${host}\n`);
      return;
    }
    if (target.isHttps && !secure) {
      const httpsPort = (this.httpsServer.address() as AddressInfo | null)?.port;
      res.writeHead(308, { location: `https://${host}:${httpsPort}${req.url ?? "/"}` }).end();
      return;
    }
    const upstream = http.request(
      {
        host: "127.0.0.1",
        port: target.hostPort,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, "x-forwarded-proto": secure ? "https" : "http", "x-forwarded-host": host },
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on("error", (error) => {
      if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" });
      res.end(`the service behind ${host} did not answer: ${error.message}\n`);
    });
    req.pipe(upstream);
  }
}

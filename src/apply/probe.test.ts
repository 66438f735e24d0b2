import http from "node:http";
import net, { type AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { PROBE_TIMEOUT_MS, probeHttp, probeTcp } from "./probe.js";

const servers: net.Server[] = [];
const sockets = new Set<net.Socket>();
afterEach(async () => {
  for (const socket of sockets) socket.destroy();
  sockets.clear();
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

async function listening(server: net.Server): Promise<number> {
  servers.push(server);
  server.on("connection", (socket) => sockets.add(socket));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

/** What an engine's port proxy does with nothing listening inside: accepts, then closes at once. */
const portProxyWithNothingInside = () => listening(net.createServer((socket) => socket.destroy()));
/** Accepts and never says a word. */
const silent = () => listening(net.createServer(() => undefined));
const answering = (status: number) =>
  listening(
    http.createServer((_, res) => {
      res.statusCode = status;
      res.end("x");
    }),
  );

describe("readiness probes: every way of not answering settles, with what was seen", () => {
  it("http: 2xx and 3xx are ready", async () => {
    expect(await probeHttp("127.0.0.1", await answering(200), "/")).toEqual({
      ready: true,
      answer: "GET / → 200",
    });
    expect((await probeHttp("127.0.0.1", await answering(302), "/")).ready).toBe(true);
  });

  it("http: a client error is one that waiting does not change, but 404, 408 and 429 may", async () => {
    expect(await probeHttp("127.0.0.1", await answering(403), "/health")).toEqual({
      ready: false,
      answer: "GET /health → 403",
      clientError: 403,
    });
    for (const status of [404, 408, 429, 500, 503]) {
      const answer = await probeHttp("127.0.0.1", await answering(status), "/");
      expect(answer).toEqual({ ready: false, answer: `GET / → ${status}` });
    }
  });

  it("http: a port proxy with nothing inside, a refused port, and a silent listener", async () => {
    expect(await probeHttp("127.0.0.1", await portProxyWithNothingInside(), "/")).toEqual({
      ready: false,
      answer: "GET / → connection closed without an answer (nothing listens inside?)",
    });
    const closed = await portProxyWithNothingInside();
    await new Promise((resolve) => servers.pop()?.close(resolve));
    // Nothing listens there now.
    expect((await probeHttp("127.0.0.1", closed, "/")).answer).toBe("GET / → connection refused");
    const started = Date.now();
    expect(await probeHttp("127.0.0.1", await silent(), "/")).toEqual({
      ready: false,
      answer: `GET / → no answer within ${PROBE_TIMEOUT_MS / 1000} s`,
    });
    expect(Date.now() - started).toBeLessThan(PROBE_TIMEOUT_MS + 1000);
  });

  it("tcp: a listener that stays open answers; a port proxy with nothing inside does not", async () => {
    expect((await probeTcp("127.0.0.1", await silent())).ready).toBe(true);
    expect(await probeTcp("127.0.0.1", await portProxyWithNothingInside())).toEqual({
      ready: false,
      answer: "nothing listens (connections are closed at once)",
    });
  });
});

import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { PlatformHttpError, PlatformUnreachable } from "../errors.js";
import { PlatformHttp, type RetryInfo } from "./http.js";

/** A server answering each request with the next scripted answer (the last one repeats). */
async function scripted(answers: { status: number; body?: unknown; headers?: Record<string, string> }[]) {
  const seen: { method: string; secret?: string }[] = [];
  const server = createServer((req, res) => {
    seen.push({
      method: req.method ?? "",
      ...(req.headers.secret ? { secret: String(req.headers.secret) } : {}),
    });
    const answer = answers[Math.min(seen.length - 1, answers.length - 1)] ?? { status: 200 };
    res.writeHead(answer.status, { "content-type": "application/json", ...answer.headers });
    res.end(answer.body === undefined ? "" : JSON.stringify(answer.body));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  servers.push(server);
  return { host: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}
const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

const client = (host: string, retries: RetryInfo[] = []) =>
  new PlatformHttp({ host, secret: "the-secret" }, { backoffMs: 1, onRetry: (r) => retries.push(r) });

describe("platform HTTP: retries", () => {
  it("retries a read through 503 and 429, telling why each time", async () => {
    const { host, seen } = await scripted([
      { status: 503 },
      { status: 429 },
      { status: 200, body: { ok: 1 } },
    ]);
    const retries: RetryInfo[] = [];
    expect(await client(host, retries).get("/api/v1/k8s/userService", "userService")).toEqual({ ok: 1 });
    expect(seen.length).toBe(3);
    expect(retries.map((r) => [r.attempt, r.attempts, r.reason])).toEqual([
      [1, 8, "HTTP 503"],
      [2, 8, "HTTP 429"],
    ]);
    // The secret travels in its header, on every attempt.
    expect(seen.every((s) => s.secret === "the-secret")).toBe(true);
  });

  it("honours Retry-After", async () => {
    const { host } = await scripted([
      { status: 503, headers: { "retry-after": "1" } },
      { status: 200, body: {} },
    ]);
    const started = Date.now();
    await client(host).get("/x", "x");
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it("retries a 2xx whose body carries a server error", async () => {
    const { host, seen } = await scripted([
      { status: 200, body: { error: { code: 500, message: "busy" } } },
      { status: 200, body: { fine: true } },
    ]);
    expect(await client(host).get("/x", "x")).toEqual({ fine: true });
    expect(seen.length).toBe(2);
  });

  it("gives up after the attempts, with the platform's last error", async () => {
    const { host, seen } = await scripted([
      { status: 502, body: { error: { code: 502, message: "bad gateway" } } },
    ]);
    const error = await client(host)
      .request("GET", "/x", { idempotent: true, call: "x", attempts: 3 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlatformHttpError);
    expect((error as PlatformHttpError).message).toBe("x: the platform answered 502: bad gateway");
    expect(seen.length).toBe(3);
  });

  it("never retries a client error, nor sends a mutation twice", async () => {
    const refused = await scripted([
      { status: 400, body: { error: { code: 400, message: "no such field" } } },
    ]);
    await expect(client(refused.host).get("/x", "x")).rejects.toThrow("no such field");
    expect(refused.seen.length).toBe(1);

    const failing = await scripted([{ status: 503 }, { status: 200, body: {} }]);
    await expect(
      client(failing.host).request("POST", "/m", { idempotent: false, call: "m" }),
    ).rejects.toThrow("503");
    expect(failing.seen).toEqual([{ method: "POST", secret: "the-secret" }]);
  });

  it("asks a platform that is not there three times, not eight", async () => {
    const { host } = await scripted([{ status: 200 }]);
    for (const s of servers.splice(0)) await new Promise((resolve) => s.close(resolve));
    const retries: RetryInfo[] = [];
    await expect(client(host, retries).get("/x", "x")).rejects.toBeInstanceOf(PlatformUnreachable);
    expect(retries.map((r) => [r.attempt, r.attempts, r.reason])).toEqual([
      [1, 3, "ECONNREFUSED"],
      [2, 3, "ECONNREFUSED"],
    ]);
  });
});

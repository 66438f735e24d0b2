import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import Ajv2020 from "ajv/dist/2020.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redactor } from "../credentials/redact.js";
import type { ApplyResult } from "./apply.js";
import { applyExitCode, notifyPayload, postNotification } from "./notify.js";

const schema = JSON.parse(
  readFileSync(new URL("../../schemas/notify-payload.schema.json", import.meta.url), "utf8"),
);
const valid = new Ajv2020.default({ strict: true }).compile(schema);
const DIGEST = `sha256:${"a".repeat(64)}`;
/** The plan applied: web answers on its domain, api has none. */
const PLAN = {
  digest: DIGEST,
  services: [
    {
      name: "web",
      target: "prod",
      desired: { domains: [{ name: "shop.example.com", port: 80, https: true }] },
    },
    { name: "api", target: "prod-api", desired: { domains: [] } },
  ],
};

const restored: ApplyResult = {
  interrupted: false,
  services: [
    { service: "web", target: "prod", status: "applied", applied: ["update-images"], remaining: [] },
    {
      service: "api",
      target: "prod-api",
      status: "restored",
      applied: ["redeploy"],
      restored: ["redeploy"],
      remaining: [],
      message:
        "verify check failed: api: GET /health: answered 500, expected 200; its last log lines:\n      db down",
    },
  ],
};

describe("the apply notification", () => {
  it("says in one line what happened, with the exit code, and matches its schema", () => {
    const payload = notifyPayload(restored, {
      command: "apply",
      plan: PLAN,
      time: "2026-12-07T00:00:00.000Z",
    });
    expect(valid(payload), JSON.stringify(valid.errors)).toBe(true);
    expect(payload.exitCode).toBe(7);
    expect(payload.text).toBe(
      "↩️ svc apply of 2 services (exit 7): applied: web; restored after a failed check: api",
    );
    expect(payload.digest).toBe(DIGEST);
    expect(payload.services.map((s) => s.url)).toEqual(["https://shop.example.com", undefined]);
    // The evidence's log lines stay in the job's log.
    expect(payload.services[1]?.message).toBe(
      "verify check failed: api: GET /health: answered 500, expected 200; its last log lines:",
    );
  });

  it("exit codes: unknown over failed over restored; partial when some applied", () => {
    const with_ = (...statuses: string[]): ApplyResult => ({
      interrupted: false,
      services: statuses.map((status, i) => ({
        service: `s${i}`,
        target: `t${i}`,
        status: status as ApplyResult["services"][number]["status"],
        applied: [],
        remaining: [],
      })),
    });
    expect(applyExitCode(with_("applied"))).toBe(0);
    expect(applyExitCode(with_("applied", "restored"))).toBe(7);
    expect(applyExitCode(with_("failed", "restored"))).toBe(1);
    expect(applyExitCode(with_("applied", "failed"))).toBe(5);
    expect(applyExitCode(with_("failed", "unknown"))).toBe(6);
    expect(applyExitCode({ ...with_("applied"), interrupted: true })).toBe(130);
  });

  describe("delivery", () => {
    const received: { body: string; type: string | undefined }[] = [];
    let answer = 200;
    const server = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => {
        body += c.toString();
      });
      req.on("end", () => {
        received.push({ body, type: req.headers["content-type"] });
        res.writeHead(answer);
        res.end();
      });
    });
    let url = "";
    beforeAll(async () => {
      await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    });
    afterAll(() => server.close());

    it("posts JSON once, with no value the redactor holds; a refusal or no answer is a warning", async () => {
      const secret = "notify-test-secret-value-9981";
      redactor.add(secret);
      const leaky = structuredClone(restored);
      (leaky.services[1] as { message: string }).message = `failed with ${secret}`;
      expect(
        await postNotification(url, notifyPayload(leaky, { command: "rollback", plan: PLAN })),
      ).toBeUndefined();
      expect(received).toHaveLength(1);
      expect(received[0]?.type).toBe("application/json");
      expect(received[0]?.body).not.toContain(secret);
      expect(JSON.parse(received[0]?.body ?? "").command).toBe("rollback");
      answer = 500;
      expect(await postNotification(url, notifyPayload(restored, { command: "apply", plan: PLAN }))).toBe(
        "the webhook answered 500",
      );
      expect(
        await postNotification(
          "http://127.0.0.1:9/hook",
          notifyPayload(restored, { command: "apply", plan: PLAN }),
        ),
      ).toMatch(/^the webhook could not be reached/);
    });
  });
});

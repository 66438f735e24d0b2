import { describe, expect, it } from "vitest";
import * as adapt from "./adapt.js";
import { sseLines } from "./log-stream.js";
import type { UserService } from "./model.js";

const none = adapt.adaptCapabilities(undefined);
const real: UserService = {
  id: "s1",
  status: "ServiceRunning",
  serviceOptions: {
    resourceUnit: "4-Unit-Resource",
    persistStorage: "No",
    portSpecification: "User Specified Service Port",
  },
};

describe("capabilities", () => {
  it("anything but a capabilities array is none; unknown names are ignored", () => {
    expect([...adapt.adaptCapabilities({ error: { code: 404 } })]).toEqual([]);
    expect([...adapt.adaptCapabilities({ capabilities: "revision" })]).toEqual([]);
    expect([...adapt.adaptCapabilities({ capabilities: ["revision", "teleport"] })]).toEqual(["revision"]);
  });
});

describe("answers into the model", () => {
  it("keeps extension fields only under their capability", () => {
    const raw = {
      ...real,
      labels: { a: "b" },
      description: "d",
      revision: 3,
      expiresAt: "2030-01-01T00:00:00Z",
    };
    expect(adapt.adaptService(raw, none)).toEqual(real);
    expect(
      adapt.adaptService(raw, adapt.adaptCapabilities({ capabilities: ["labels-map", "revision"] })),
    ).toEqual({
      ...real,
      labels: { a: "b" },
      revision: 3,
    });
  });

  it("null and absent lists become [], phase is derived, readiness is 'running'", () => {
    const pod = adapt.adaptPod(
      { podSpec: { containers: [] }, podStatus: {}, domains: null },
      "ServicePending",
    );
    expect(pod).toEqual({ containers: [], domains: [], phase: "NotDeployed" });
    const running = adapt.adaptPod(
      {
        podSpec: { containers: [{ name: "web", resources: { limits: { memory: "512Mi" } } }] },
        podStatus: {
          hostIP: "10.0.0.1",
          containerStatuses: [{ name: "web", state: { running: { startedAt: "t" } } }],
        },
        domains: [{ domain: "A.Example.com", containerPort: 80, isHttps: true }],
      },
      "ServiceRunning",
    );
    expect(running.phase).toBe("Running");
    expect(running.containers[0]).toMatchObject({ ready: true, restartCount: 0 });
    expect(running.domains).toEqual([{ domain: "a.example.com", containerPort: 80, isHttps: true }]);
  });

  it("without deployment-info: names, images, env from the pod; the rest from the echo where its shape is known", () => {
    const containers = adapt.adaptContainers({
      caps: none,
      service: real,
      info: {
        containers: [
          {
            name: "web",
            imageName: "old:1",
            resourceUnit: 2,
            ports: [{ containerPort: 80 }],
            command: "/bin/web --port 80",
            args: ["-v"],
            configMap: { "/etc/web.conf": "stale" },
          },
        ],
      },
      pod: {
        podSpec: {
          containers: [
            { name: "web", image: "new:2", env: [{ name: "A" }], resources: { limits: { memory: "1Gi" } } },
          ],
        },
        podStatus: {},
      },
      configMaps: { web: "fresh" },
    });
    expect(containers).toEqual([
      {
        name: "web",
        imageName: "new:2",
        envs: [{ name: "A", value: "" }],
        resourceUnit: 2,
        ports: [{ containerPort: 80, protocol: "TCP" }],
        args: ["-v"],
        // command was a string: its split is unknown, so it is unmanaged
        configContents: ["fresh"],
        configPaths: ["/etc/web.conf"],
      },
    ]);
  });

  it("without deployment-info, an unanswered deployment call leaves those fields unmanaged; pending = never deployed", () => {
    const pod = {
      podSpec: { containers: [{ name: "web", image: "x:1", resources: { limits: { memory: "1Gi" } } }] },
      podStatus: {},
    };
    const [web] =
      adapt.adaptContainers({ caps: none, service: real, info: undefined, pod, configMaps: {} }) ?? [];
    expect(web).toEqual({ name: "web", imageName: "x:1", envs: [], configContents: [] });
    const pending = { ...real, status: "ServicePending" as const };
    expect(
      adapt.adaptContainers({
        caps: none,
        service: pending,
        info: undefined,
        pod: { podSpec: {}, podStatus: {} },
        configMaps: {},
      }),
    ).toBeUndefined();
  });

  it("monitor: metric first to per container, CPU as percent", () => {
    expect(
      adapt.adaptMonitor({
        cpu: { web: { value: 0.25 } },
        memory: { web: { value: 10, limitValue: 100 } },
        networkDownload: { value: 5 },
        networkUpload: {},
        storage: { value: 7 },
      }),
    ).toEqual({
      containers: { web: { cpuPercent: 25, memory: { value: 10, limitValue: 100 } } },
      pod: { networkDownload: 5, networkUpload: 0, storage: 7 },
    });
  });

  it("notices: unix seconds to ISO time", () => {
    expect(
      adapt.adaptNotices({
        list: [{ timestamp: 1_700_000_000, serviceID: "s1", noticeType: "Deployed" }],
        pagination: { total: 1 },
      }),
    ).toEqual({
      total: 1,
      notices: [{ time: "2023-11-14T22:13:20.000Z", serviceID: "s1", type: "Deployed" }],
    });
  });
});

describe("SSE logs", () => {
  async function* chunks(...parts: string[]) {
    yield* parts;
  }
  const read = async (parts: string[], options: { tail?: number; follow: boolean }) => {
    const out: string[] = [];
    for await (const line of sseLines(chunks(...parts), { ...options, stop: () => {} })) out.push(line);
    return out;
  };

  it("reads data payloads (JSON strings or raw), across chunk boundaries, skipping the platform's own line", async () => {
    const lines = await read(
      [
        ': connected\n\nevent:message\ndata:"one"\n\nevent:mes',
        'sage\ndata:"two"\n\ndata: raw three\n\n',
        'data:"logger - Client disconnected."\n\n',
      ],
      { follow: false },
    );
    expect(lines).toEqual(["one", "two", "raw three"]);
  });

  it("applies --tail on the client", async () => {
    const parts = [1, 2, 3, 4].map((i) => `event:message\ndata:"line ${i}"\n\n`);
    expect(await read(parts, { tail: 2, follow: false })).toEqual(["line 3", "line 4"]);
    expect(await read(parts, { tail: 0, follow: false })).toEqual([]);
  });
});

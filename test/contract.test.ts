import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningPlatform } from "../src/local/server/start.js";
import { decodeToken } from "../src/platform/token.js";
import { engineAvailable, ensureExampleImages } from "./support/engine.js";
import { createService, eventually, startTestPlatform, workerPortRange } from "./support/local-platform.js";

/**
 * The requests the public clients of the V Kube provider API send — the market CLI
 * (`v-cloud-market-cli-user`) and vkube 2.0.1 — sent exactly so (headers, body encoding, no
 * Content-Type where vkube sends none), against the local platform in `--api real` mode; each
 * answer must carry the fields those clients read. See shared/docs/platform-api.md.
 */
const hasEngine = await engineAvailable("the API contract suite");

interface Sent {
  status: number;
  text: string;
  json: Record<string, unknown> | undefined;
}

describe.runIf(hasEngine)("the public clients' requests, accepted by --api real", () => {
  let platform: RunningPlatform & { home: string };
  let url: string;
  let secret: string;
  let id: string;
  const hostPort = workerPortRange()[1];

  /** Raw HTTP, as a client sends it: nothing added. */
  const send = async (
    method: string,
    path: string,
    init: { body?: string; headers?: Record<string, string> } = {},
  ): Promise<Sent> => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: init.headers ?? {},
      ...(init.body !== undefined ? { body: init.body } : {}),
    });
    const text = await response.text();
    let json: Record<string, unknown> | undefined;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: response.status, text, json };
  };
  /** The market CLI's way: application/json, `{}` for calls without a body (server_api_wrapper). */
  const market = (method: string, path: string, body: unknown = {}, extra: Record<string, string> = {}) =>
    send(method, path, {
      headers: { secret, "Content-Type": "application/json", ...extra },
      ...(method === "GET" ? {} : { body: JSON.stringify(body) }),
    });
  /** What the market CLI adds to calls it signs with the wallet (needAuth); svc never sends these. */
  const wallet = {
    "x-sdk-time": String(Date.now()),
    "User-Agent": "market-cli",
    address: "AUwallet0000000000000000000000000",
    "public-key": "pubkey",
    signature: "sig",
  };
  /** What `read` answers once it equals `expected` (a change shows late in real mode), or its last answer. */
  const shown = async <T>(read: () => Promise<T>, expected: T): Promise<T> => {
    let last = await read();
    for (let i = 0; i < 50 && JSON.stringify(last) !== JSON.stringify(expected); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      last = await read();
    }
    return last;
  };
  const podStatus = async () =>
    (await market("GET", "/api/v1/k8s/pod/status")).json as {
      podSpec: {
        containers: {
          name: string;
          image: string;
          env?: { name: string; value?: string }[];
          resources: { limits: { memory: string } };
        }[];
      };
      podStatus: { hostIP: string; containerStatuses?: { name: string; state: Record<string, unknown> }[] };
      domains: { domain: string; containerPort: number; isHttps: boolean }[] | null;
    };

  beforeAll(async () => {
    await ensureExampleImages();
    platform = await startTestPlatform({ api: "real" });
    const created = await createService(platform, { units: 4, persistStorage: true, specifiedPort: true });
    ({ host: url, secret } = decodeToken(created.token));
    id = created.id;
  }, 120_000);
  afterAll(async () => {
    await platform?.close(true);
  });

  it("has no capabilities endpoint (404), like real providers", async () => {
    const r = await market("GET", "/api/v1/svc/capabilities");
    expect(r.status).toBe(404);
  });

  it("userService: the fields vkube and the market CLI read, and none of svc's", async () => {
    const r = await market("GET", "/api/v1/k8s/userService");
    expect(r.status).toBe(200);
    expect(r.json).toEqual({
      id,
      status: "ServicePending",
      serviceOptions: {
        resourceUnit: "4-Unit-Resource",
        persistStorage: "Yes",
        region: "local",
        portSpecification: "User Specified Service Port",
      },
    });
  });

  it("vkube deploy: JSON with no Content-Type, lists, configMap, both ports; HTTP 200", async () => {
    const body = {
      containers: [
        {
          name: "web",
          imageName: "svc-examples/hello:1.0",
          resourceUnit: 1,
          ports: [{ containerPort: 8080, hostPort }],
          envs: [{ name: "GREETING", value: "hello" }],
          mountPath: "/data",
          command: ["/bin/httpd"],
          args: ["-f", "-p", "8080", "-h", "/www"],
          configMap: { "/etc/app.conf": "level=1\n" },
          exposedPorts: [{ path: "/", rewrite: false, containerPort: 8080 }],
        },
      ],
      pvtLogin: [{ username: "", password: "" }],
    };
    // vkube_deploy.deploy_http_request: requests.post(url, data=json.dumps(body), headers={"secret": ...})
    const r = await send("POST", "/api/v1/k8s/deployment", {
      body: JSON.stringify(body),
      headers: { secret },
    });
    expect(r.status).toBe(200);
    expect(r.json?.error).toBeUndefined();
    expect(r.json?.message).toBeUndefined();

    const status = await eventually(async () => {
      const s = await podStatus();
      return s.podStatus.containerStatuses?.[0]?.state.running ? s : undefined;
    });
    const [spec] = status.podSpec.containers;
    expect(spec).toMatchObject({
      name: "web",
      image: "svc-examples/hello:1.0",
      env: [{ name: "GREETING", value: "hello" }],
    });
    expect(spec?.resources.limits.memory).toBeTruthy();
    expect(Object.keys(status.podStatus.containerStatuses?.[0]?.state ?? {})).toHaveLength(1);
    expect(status.podStatus.hostIP).toBeTruthy();
    expect(status.domains).toBeNull();
    expect((await market("GET", "/api/v1/k8s/userService")).json?.status).toBe("ServiceRunning");
  });

  it("market CLI update: strings for command and args, one config file, protocol, wallet-free; HTTP 200", async () => {
    const r = await market("POST", "/api/v1/k8s/deployment/update", {
      containers: [
        {
          name: "web",
          imageName: "svc-examples/hello:1.0",
          resourceUnit: 1,
          ports: [{ containerPort: 8080, hostPort, protocol: "TCP" }],
          envs: [],
          mountPath: "/data",
          command: "/bin/httpd",
          args: "-f -v -p 8080 -h /www",
          configMountPath: "/etc/app.ini",
          config: "answer=42\n",
        },
      ],
      pvtLogin: [{ username: "", password: "" }],
    });
    expect(r.status).toBe(200);
    // The strings were split into a command that runs: the page answers on the chosen host port.
    await eventually(async () => {
      const page = await fetch(`http://127.0.0.1:${hostPort}/`).catch(() => undefined);
      return page?.ok ? true : undefined;
    });
    expect(
      await shown(async () => (await market("GET", "/api/v1/k8s/pod/configmap")).json, {
        web: "answer=42\n",
      }),
    ).toEqual({
      web: "answer=42\n",
    });
  });

  it("pod/update: a config string and an environment map; configmap shows the new content", async () => {
    const r = await market("PUT", "/api/v1/k8s/pod/update", {
      config: { web: "answer=43\n" },
      environment: { web: { GREETING: "bonjour" } },
    });
    expect(r.status).toBe(200);
    // Shown once the new pod exists (real mode shows a change late, as a Kubernetes rollout).
    const configmap = async () => (await market("GET", "/api/v1/k8s/pod/configmap")).json;
    expect(await shown(configmap, { web: "answer=43\n" })).toEqual({ web: "answer=43\n" });
    expect((await podStatus()).podSpec.containers[0]?.env).toEqual([{ name: "GREETING", value: "bonjour" }]);
  });

  it("pod/images: a bare array, login always, no container, wallet headers", async () => {
    const r = await market(
      "PATCH",
      "/api/v1/k8s/pod/images",
      [{ image: "svc-examples/hello:2.0", login: { username: "", password: "" } }],
      wallet,
    );
    expect(r.status).toBe(200);
    const image = async () => (await podStatus()).podSpec.containers[0]?.image;
    expect(await shown(image, "svc-examples/hello:2.0")).toBe("svc-examples/hello:2.0");
  });

  it("ingress: bind (isLetsencrypt only on a base domain's first bind), PATCH Del, DELETE {}", async () => {
    const bind = (domain: string, first: boolean) =>
      market(
        "POST",
        "/api/v1/k8s/pod/ingress",
        { domain, isEncryByself: false, containerPort: 8080, ...(first ? { isLetsencrypt: false } : {}) },
        wallet,
      );
    expect((await bind("a.contract.test", true)).status).toBe(200);
    expect((await bind("b.contract.test", false)).status).toBe(200);
    expect((await podStatus()).domains).toEqual([
      { domain: "a.contract.test", containerPort: 8080, isHttps: false },
      { domain: "b.contract.test", containerPort: 8080, isHttps: false },
    ]);
    const del = await market(
      "PATCH",
      "/api/v1/k8s/pod/ingress",
      { action: "Del", domains: ["a.contract.test"] },
      wallet,
    );
    expect(del.status).toBe(200);
    expect((await podStatus()).domains?.map((d) => d.domain)).toEqual(["b.contract.test"]);
    expect((await market("DELETE", "/api/v1/k8s/pod/ingress", {}, wallet)).status).toBe(200);
    expect((await podStatus()).domains).toBeNull();
  });

  it("images and checkports answer without a secret", async () => {
    const empty = Buffer.from("").toString("base64");
    const image = await send("GET", "/api/v1/k8s/images?image=svc-examples/hello&tag=2.0", {
      headers: { Username: empty, Password: empty },
    });
    expect(image.status).toBe(200);
    expect(image.json?.error).toBeUndefined();
    const check = (port: number, serviceId: string) =>
      send("POST", "/api/v1/k8s/checkports", {
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ region: "local", ports: [port], userServiceID: serviceId }),
      });
    // Its own port is free for the service itself, taken for any other.
    expect((await check(hostPort, id)).json).toEqual({ status: "NotOccupied" });
    const other = await createService(platform, { units: 1, specifiedPort: true });
    expect((await check(hostPort, other.id)).json).toEqual({ status: "Occupied" });
  });

  it("a registry login sent with a public image makes it private for no one: vkube with one, then the market CLI without one from another tenant, both 200", async () => {
    const tenant = async () => {
      const created = await createService(platform, { units: 1 });
      return decodeToken(created.token).secret;
    };
    const [a, b] = [await tenant(), await tenant()];
    const image = "svc-examples/hello:2.0";
    const container = {
      name: "web",
      imageName: image,
      resourceUnit: 1,
      ports: [{ containerPort: 8080 }],
      command: ["/bin/httpd"],
      args: ["-f", "-p", "8080", "-h", "/www"],
    };
    // vkube sends the VKubefile's registry login whenever it names a registry (vkube_deploy.py).
    const withLogin = JSON.stringify({
      containers: [container],
      pvtLogin: [{ username: "someone", password: "a-login-never-needed" }],
    });
    const first = await send("POST", "/api/v1/k8s/deployment", { body: withLogin, headers: { secret: a } });
    expect(first.status, first.text).toBe(200);
    expect(first.json?.error).toBeUndefined();
    // Another tenant, the market CLI's way: "" for a public image.
    const other = await send("POST", "/api/v1/k8s/deployment", {
      headers: { secret: b, "Content-Type": "application/json" },
      body: JSON.stringify({
        containers: [{ ...container, command: "/bin/httpd", args: "-f -p 8080 -h /www" }],
        pvtLogin: [{ username: "", password: "" }],
      }),
    });
    expect(other.status, other.text).toBe(200);
    expect(other.json?.error).toBeUndefined();
    // Nor is the first tenant locked out of its own next update by the login it sent.
    const again = await send("POST", "/api/v1/k8s/deployment/update", {
      body: withLogin,
      headers: { secret: a },
    });
    expect(again.status, again.text).toBe(200);
    const empty = Buffer.from("").toString("base64");
    const seen = await send("GET", `/api/v1/k8s/images?image=svc-examples/hello&tag=2.0`, {
      headers: { Username: empty, Password: empty },
    });
    expect(seen.status).toBe(200);
  });

  it("monitor: metric first, every key present", async () => {
    const r = await market("GET", "/api/v1/monitor?allTypes=True&containers=web");
    expect(r.status).toBe(200);
    expect(Object.keys(r.json ?? {}).sort()).toEqual([
      "cpu",
      "memory",
      "networkDownload",
      "networkUpload",
      "storage",
    ]);
    const m = r.json as {
      cpu: Record<string, { value: number }>;
      memory: Record<string, { value: number; limitValue: number }>;
    };
    expect(typeof m.cpu.web?.value).toBe("number");
    expect(m.memory.web?.limitValue).toBeGreaterThan(0);
  });

  it("logs: an SSE stream of event:message / data:<JSON string>, following", async () => {
    const controller = new AbortController();
    const response = await fetch(`${url}/api/v1/k8s/pod/logs?container=web`, {
      headers: { secret, Connection: "close" },
      signal: controller.signal,
    });
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    await fetch(`http://127.0.0.1:${hostPort}/missing-page`).catch(() => undefined);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    let text = "";
    while (!/event:message\ndata:".*response:404/.test(text)) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    controller.abort();
    const data = text.split("\n").filter((l) => l.startsWith("data:"));
    expect(data.length).toBeGreaterThan(0);
    for (const line of data) expect(typeof JSON.parse(line.slice(5))).toBe("string");
  });

  it("notice: the wallet address, no secret → {list, pagination}; neither → 401", async () => {
    const r = await send("GET", `/api/v1/k8s/notice?current=1&pageSize=10&serviceID=${id}`, {
      headers: { address: wallet.address },
    });
    expect(r.status).toBe(200);
    const page = r.json as {
      list: { timestamp: number; serviceID: string; noticeType: string }[];
      pagination: { total: number };
    };
    expect(page.pagination.total).toBeGreaterThan(0);
    expect(page.list[0]).toEqual({
      timestamp: expect.any(Number),
      serviceID: id,
      noticeType: expect.any(String),
    });
    expect((await send("GET", "/api/v1/k8s/notice?current=1&pageSize=10")).status).toBe(401);
  });

  it("restart, stop, start with {} bodies; annotation and customizedLabel accepted, not shown back", async () => {
    for (const action of ["restart", "stop", "start"]) {
      expect((await market("POST", `/api/v1/k8s/pod/${action}`)).status).toBe(200);
    }
    expect(
      (await market("POST", "/api/v1/k8s/deployment/metadata/annotation", { description: "d" })).status,
    ).toBe(200);
    expect(
      (await market("POST", "/api/v1/k8s/deployment/metadata/label", { customizedLabel: "team web" })).status,
    ).toBe(200);
    const service = (await market("GET", "/api/v1/k8s/userService")).json ?? {};
    expect(Object.keys(service).sort()).toEqual(["id", "serviceOptions", "status"]);
  });

  it("ignores svc's extensions and refuses a path-map config; errors are {error: {code, message}}", async () => {
    expect((await market("GET", "/api/v1/k8s/pod/configmap?format=paths")).json).toEqual({
      web: "answer=43\n",
    });
    const pathMap = await market("PUT", "/api/v1/k8s/pod/update", {
      config: { web: { "/etc/app.ini": "x" } },
      environment: {},
    });
    expect(pathMap.status).toBe(400);
    expect(pathMap.json?.error).toMatchObject({ code: 400, message: expect.any(String) });
    const stale = await market(
      "POST",
      "/api/v1/k8s/deployment/metadata/annotation",
      { description: "e" },
      { "if-revision": "0" },
    );
    expect(stale.status).toBe(200); // if-revision is svc's: real providers do not check it
    const wrong = await send("GET", "/api/v1/k8s/userService", { headers: { secret: "not-the-secret" } });
    expect(wrong.status).toBe(401);
    expect(wrong.json?.error).toMatchObject({ code: 401 });
  });
});

describe.runIf(hasEngine)("--api extended: the same API plus advertised capabilities", () => {
  let platform: RunningPlatform & { home: string };
  beforeAll(async () => {
    platform = await startTestPlatform({ api: "extended" });
  });
  afterAll(async () => {
    await platform?.close(true);
  });

  it("advertises every capability and answers public requests with public shapes", async () => {
    const { api } = await createService(platform, { units: 1 });
    const caps = await api.call<{ capabilities: string[] }>("GET", "/api/v1/svc/capabilities");
    expect(caps.body.capabilities).toEqual([
      "config-path-map",
      "deployment-info",
      "image-container",
      "labels-map",
      "logs-query",
      "metadata",
      "notice-secret",
      "revision",
    ]);
    const service = await api.call<Record<string, unknown>>("GET", "/api/v1/k8s/userService");
    expect(service.body).toMatchObject({
      revision: 0,
      labels: {},
      description: "",
      serviceOptions: { resourceUnit: "1-Unit-Resource" },
    });
  });
});

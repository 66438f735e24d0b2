import { describe, expect, it } from "vitest";
import type { Capability } from "../platform/model.js";
import { EXTENDED } from "../test-support/fake-platform.js";
import type { ContainerDelta, ServiceDelta } from "./diff.js";
import { planCalls } from "./operations.js";

const caps = (...list: Capability[]) => new Set<Capability>(list);
const ALL = caps(...EXTENDED);

/** A delta with nothing changed, two containers deployed; the test says what changed. */
function delta(change: Partial<ServiceDelta> = {}): ServiceDelta {
  return {
    created: false,
    changes: [],
    losses: [],
    deployed: ["api", "web"],
    containers: [],
    removed: [],
    domains: { unbind: [], bind: [], rebound: [] },
    paused: false,
    description: false,
    labels: false,
    ...change,
  };
}
const changed = (name: string, c: Partial<ContainerDelta>): ContainerDelta => ({
  name,
  added: false,
  fields: [],
  image: false,
  ...c,
});
const kinds = (d: ServiceDelta, c = ALL) => planCalls(d, c).operations.map((o) => o.kind);

describe("the calls a delta needs, in their order", () => {
  it("makes no call and reports noop when nothing changed", () => {
    expect(planCalls(delta(), ALL)).toEqual({
      action: "noop",
      operations: [],
      restarts: false,
      destructive: false,
      redeployCauses: [],
    });
  });

  it("deploys a new service, then writes description and labels, then binds each domain", () => {
    const calls = planCalls(
      delta({
        created: true,
        description: true,
        labels: true,
        domains: {
          unbind: [],
          bind: [
            { name: "a.example.com", cause: "domain a.example.com added" },
            { name: "b.example.com", cause: "domain b.example.com added" },
          ],
          rebound: [],
        },
      }),
      ALL,
    );
    expect(calls.action).toBe("create");
    expect(calls.restarts).toBe(false);
    expect(calls.operations).toEqual([
      { kind: "deploy", cause: "never deployed", restarts: false, containers: ["api", "web"] },
      { kind: "set-description", cause: "description set", restarts: false },
      { kind: "set-labels", cause: "labels set", restarts: false },
      {
        kind: "bind-domain",
        cause: "domain a.example.com added",
        restarts: false,
        domains: ["a.example.com"],
      },
      {
        kind: "bind-domain",
        cause: "domain b.example.com added",
        restarts: false,
        domains: ["b.example.com"],
      },
    ]);
  });

  it("orders an update: unbind, images, config, resume, description, labels, bind", () => {
    const d = delta({
      containers: [
        changed("web", { image: true }),
        changed("api", { config: { files: false, publicConfig: false } }),
      ],
      domains: {
        unbind: ["old.example.com"],
        bind: [{ name: "new.example.com", cause: "added" }],
        rebound: [],
      },
      paused: true,
      description: true,
      labels: true,
    });
    // Image and config together would be two restarts: one redeploy instead (see below). Here only
    // the image changes in place, and the config of another container.
    expect(kinds(delta({ ...d, containers: [changed("web", { image: true })] }))).toEqual([
      "unbind-domains",
      "update-images",
      "resume",
      "set-description",
      "set-labels",
      "bind-domain",
    ]);
    expect(
      kinds(delta({ ...d, containers: [changed("api", { config: { files: true, publicConfig: false } })] })),
    ).toEqual(["unbind-domains", "update-config", "resume", "set-description", "set-labels", "bind-domain"]);
  });

  it("redeploys once, not two restarts, when images and config change together", () => {
    const calls = planCalls(
      delta({
        containers: [
          changed("web", { image: true }),
          changed("api", { config: { files: false, publicConfig: false } }),
        ],
      }),
      ALL,
    );
    expect(calls.action).toBe("redeploy");
    expect(calls.operations.map((o) => o.kind)).toEqual(["redeploy"]);
    expect(calls.redeployCauses).toEqual([
      "images (web) and env or files (api) changed together (one restart instead of two)",
    ]);
  });

  it("names every cause of a redeploy in the manifest's order, removed containers last", () => {
    const calls = planCalls(
      delta({
        containers: [changed("web", { fields: ["ports", "units"] }), changed("db", { added: true })],
        removed: ["cache"],
        losses: ["storage of container cache (/data) is no longer mounted: the container is removed"],
      }),
      ALL,
    );
    expect(calls.redeployCauses).toEqual([
      "containers.web.ports",
      "containers.web.units",
      "containers.db added",
      "containers.cache removed",
    ]);
    expect(calls.operations).toEqual([
      {
        kind: "redeploy",
        cause:
          "containers.web.ports, containers.web.units, containers.db added, containers.cache removed force a redeploy",
        restarts: true,
        destructive: true,
        containers: ["api", "web"],
      },
    ]);
    expect(calls.destructive).toBe(true);
  });

  it("redeploys for an image the provider cannot update in place (no image-container, several containers)", () => {
    const d = delta({ containers: [changed("web", { image: true })] });
    expect(kinds(d, caps())).toEqual(["redeploy"]);
    expect(planCalls(d, caps()).redeployCauses).toEqual([
      "containers.web.image (this provider updates images in place only in one-container services)",
    ]);
    // One container: the public call needs no name.
    expect(kinds(delta({ ...d, deployed: ["web"] }), caps())).toEqual(["update-images"]);
  });

  it("redeploys for a config file the public call cannot carry, updates it in place where it can", () => {
    const files = (publicConfig: boolean) =>
      delta({ containers: [changed("web", { config: { files: true, publicConfig } })] });
    expect(kinds(files(false), caps())).toEqual(["redeploy"]);
    expect(kinds(files(true), caps())).toEqual(["update-config"]);
    expect(kinds(files(false), caps("config-path-map"))).toEqual(["update-config"]);
  });

  it("rebinds every domain of a base domain whose https changed, unbinding them first", () => {
    const calls = planCalls(
      delta({
        domains: {
          unbind: ["a.example.com", "b.example.com"],
          bind: [
            {
              name: "a.example.com",
              cause: "https of example.com changed: every domain under it is rebound",
            },
          ],
          rebound: ["example.com"],
        },
      }),
      ALL,
    );
    expect(calls.operations[0]).toEqual({
      kind: "unbind-domains",
      cause: "rebind of example.com",
      restarts: false,
      domains: ["a.example.com", "b.example.com"],
    });
    expect(calls.action).toBe("update");
    expect(calls.restarts).toBe(false);
  });

  it("resumes a paused service after the calls that change it", () => {
    const calls = planCalls(
      delta({ paused: true, containers: [changed("web", { fields: ["units"] })] }),
      ALL,
    );
    expect(calls.operations.map((o) => o.kind)).toEqual(["redeploy", "resume"]);
  });
});

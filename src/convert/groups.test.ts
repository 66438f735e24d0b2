import { describe, expect, it } from "vitest";
import { type GroupMember, groupServices } from "./groups.js";

const m = (name: string, image: string, ports: string[] = [], talksTo: string[] = []): GroupMember => ({
  name,
  image,
  ports,
  talksTo,
});

describe("grouping a compose project into pods", () => {
  it("one pod when nothing clashes", () => {
    expect(groupServices([m("web", "a", ["80/tcp"], ["db"]), m("db", "b", ["5432/tcp"])])).toEqual([
      ["web", "db"],
    ]);
  });

  it("a web and a worker from one image: two pods, the database with the one that names it first", () => {
    const groups = groupServices([
      m("web", "app", ["8000/tcp"], ["db", "redis"]),
      m("worker", "app", [], ["db", "redis"]),
      m("db", "postgres", ["5432/tcp"]),
      m("redis", "redis", ["6379/tcp"]),
    ]);
    expect(groups).toEqual([["web", "db", "redis"], ["worker"]]);
  });

  it("two services on one container port are kept apart; each goes where it talks", () => {
    const groups = groupServices([
      m("vote", "vote", ["80/tcp"], ["redis"]),
      m("result", "result", ["80/tcp"], ["db"]),
      m("redis", "redis", ["6379/tcp"]),
      m("db", "postgres", ["5432/tcp"]),
      m("worker", "worker", [], ["redis", "db"]),
    ]);
    expect(groups).toHaveLength(2);
    for (const g of groups) expect(g.filter((n) => n === "vote" || n === "result")).toHaveLength(1);
    expect(groups.find((g) => g.includes("vote"))).toContain("redis");
    expect(groups.find((g) => g.includes("result"))).toContain("db");
  });

  it("three replicas of one image: three pods; more than 16 services: at least two", () => {
    expect(groupServices([m("minio1", "minio"), m("minio2", "minio"), m("minio3", "minio")])).toEqual([
      ["minio1"],
      ["minio2"],
      ["minio3"],
    ]);
    const many = Array.from({ length: 20 }, (_, i) => m(`s${i}`, `image${i}`));
    const groups = groupServices(many);
    expect(groups).toHaveLength(2);
    expect(groups.flat().sort()).toEqual(many.map((s) => s.name).sort());
    for (const g of groups) expect(g.length).toBeLessThanOrEqual(16);
  });
});

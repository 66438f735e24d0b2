import { describe, expect, it } from "vitest";
import { joinedName } from "./fields.js";
import { hostsTo, localhostFor } from "./siblings.js";

const siblings = new Set(["redis", "db", "api", "http", "kafka-1", "Mongo"]);

describe("sibling hosts in env values", () => {
  it.each([
    // A scheme named like a service is a scheme: only the host changes.
    ["redis://redis:6379/0", "redis://localhost:6379/0"],
    ["http://api:8080/v1?next=http://db/x&host=db", "http://localhost:8080/v1?next=http://db/x&host=db"],
    ["http://http:80/", "http://localhost:80/"],
    [
      "postgres://app:${DB_PASSWORD}@db:5432/app?sslmode=disable",
      "postgres://app:${DB_PASSWORD}@localhost:5432/app?sslmode=disable",
    ],
    ["amqp://guest:guest@api", "amqp://guest:guest@localhost"],
    [
      "mongodb://u:p@mongo:27017,db:27017/app?replicaSet=rs0",
      "mongodb://u:p@localhost:27017,localhost:27017/app?replicaSet=rs0",
    ],
    ["http://[::1]:8080/", "http://[::1]:8080/"],
    ["http://[fe80::1%25eth0]/", "http://[fe80::1%25eth0]/"],
    ["https://api.example.com/v1", "https://api.example.com/v1"],
    ["https://redis.internal:6379", "https://redis.internal:6379"],
    ["http://apiserver:80", "http://apiserver:80"],
    // host:port, bare names, lists, options.
    ["db:5432", "localhost:5432"],
    ["db", "localhost"],
    ["kafka-1:9092,kafka-2:9092", "localhost:9092,kafka-2:9092"],
    ["redis db", "localhost localhost"],
    ["-Dhost=db -Dport=5432", "-Dhost=localhost -Dport=5432"],
    ["user:secret@db:5432", "user:secret@localhost:5432"],
    // Not hosts: words around a sibling's name, paths, addresses, other names.
    ["redis-cache", "redis-cache"],
    ["my-api", "my-api"],
    ["/var/lib/db", "/var/lib/db"],
    ["db.sqlite3", "db.sqlite3"],
    ["10.0.0.5:5432", "10.0.0.5:5432"],
    ["apidb:5432", "apidb:5432"],
    ["", ""],
  ])("%s → %s", (value, expected) => {
    expect(hostsTo(value, siblings, "localhost")).toBe(expected);
  });

  it("lists each rewrite, and with --split lists instead of rewriting", () => {
    const notes: string[] = [];
    const env = { REDIS_URL: "redis://redis:6379/0", MODE: "redis-cluster" };
    expect(localhostFor(env, siblings, "services.web.environment", notes)).toEqual({
      REDIS_URL: "redis://localhost:6379/0",
      MODE: "redis-cluster",
    });
    expect(notes).toEqual([
      "services.web.environment.REDIS_URL: redis://redis:6379/0 → redis://localhost:6379/0 (the containers share localhost)",
    ]);
    const split: string[] = [];
    expect(localhostFor(env, siblings, "services.web.environment", split, false)).toEqual(env);
    expect(split[0]).toContain("names a sibling service, which is a service of its own now");
  });
});

describe("generated names", () => {
  it.each([
    [["compose-web", "web", "API_KEY"], "compose-web-api-key"],
    [["shop", "web", "DB_PASSWORD"], "shop-web-db-password"],
    [["web", "web"], "web"],
    [["Shop_Prod", "api", "x.y"], "shop-prod-api-x-y"],
    [["a-web", "b", "web"], "a-web-b-web"],
  ])("%j → %s", (parts, expected) => {
    expect(joinedName(...parts)).toBe(expected);
  });
});

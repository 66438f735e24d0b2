import { describe, expect, it } from "vitest";
import { type Dropped, portsFrom } from "./fields.js";

describe("compose port forms", () => {
  it.each([
    ["80", ["80"]],
    ["8080:80", ["8080:80"]],
    ["8080:80/udp", ["8080:80/udp"]],
    ["53:53/UDP", ["53:53/udp"]],
    ["80/tcp", ["80/tcp"]],
    ["0.0.0.0:8080:80", ["8080:80"]],
    ["[::]:8080:80", ["8080:80"]],
    ["0.0.0.0::80", ["80"]],
    ["${WEB_PORT:-8080}:80", ["${WEB_PORT:-8080}:80"]],
    ["3000-3002", ["3000", "3001", "3002"]],
    ["9000-9001:3000-3001", ["9000:3000", "9001:3001"]],
  ])("%s is carried as %j", (form, expected) => {
    const dropped: Dropped[] = [];
    expect(portsFrom([form], "ports", dropped)).toEqual(expected);
    expect(dropped).toEqual([]);
  });

  it.each([
    ["127.0.0.1:8080:80", "bound to 127.0.0.1 (this machine only)"],
    ["[::1]:8080:80", "bound to [::1] (this machine only)"],
    ["127.0.0.1::80", "bound to 127.0.0.1"],
    ["80/sctp", "tcp and udp only"],
    ["1-1000", "at most 16"],
    ["9000-9002:3000-3001", "a host range of the same length"],
    ["8080:80:90", "not a form compose documents"],
  ])("%s is listed: %s", (form, reason) => {
    const dropped: Dropped[] = [];
    expect(portsFrom([form], "ports", dropped)).toEqual([]);
    expect(dropped).toHaveLength(1);
    expect(dropped[0]?.path).toBe("ports[0]");
    expect(dropped[0]?.reason).toContain(reason);
  });
});

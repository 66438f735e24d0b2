import { describe, expect, it } from "vitest";
import { portList } from "./values.js";

describe("ports as the plan writes them", () => {
  it("a live port's before value keeps the host port the manifest names, by container or host port", () => {
    // The container port moves, the host port stays: the before value is what was observed.
    expect(
      portList(
        [{ container: 9000, protocol: "tcp", host: 19090 }],
        [{ container: 9001, protocol: "tcp", host: 19090 }],
      ),
    ).toEqual(["19090:9000/tcp"]);
    expect(
      portList(
        [{ container: 9000, protocol: "tcp", host: 19090 }],
        [{ container: 9000, protocol: "tcp", host: 19091 }],
      ),
    ).toEqual(["19090:9000/tcp"]);
  });

  it("a host port the platform assigned is left out where the manifest names none", () => {
    expect(
      portList([{ container: 8080, protocol: "tcp", host: 31234 }], [{ container: 8081, protocol: "tcp" }]),
    ).toEqual(["8080/tcp"]);
    expect(portList([{ container: 8080, protocol: "udp" }])).toEqual(["8080/udp"]);
  });
});

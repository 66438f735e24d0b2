import { describe, expect, it } from "vitest";
import { decodeToken, encodeToken } from "./token.js";

describe("service tokens", () => {
  it("round-trips base58 of host:secret, splitting at the last colon after the host", () => {
    const token = { host: "https://node.example.net:8443", secret: "abc:def" };
    expect(decodeToken(encodeToken(token))).toEqual({
      host: "https://node.example.net:8443",
      secret: "abc:def",
    });
    expect(decodeToken(encodeToken({ host: "http://127.0.0.1:7480", secret: "x1" }))).toEqual({
      host: "http://127.0.0.1:7480",
      secret: "x1",
    });
  });

  it("tolerates surrounding whitespace (a pasted newline)", () => {
    const text = encodeToken({ host: "http://h.test", secret: "s" });
    expect(decodeToken(`  ${text}\n`).secret).toBe("s");
  });

  it("rejects text that is not base58 or not host:secret", () => {
    expect(() => decodeToken("0OIl")).toThrow("not base58");
    expect(() => decodeToken(encodeToken({ host: "no-scheme", secret: "s" }))).toThrow("<host>:<secret>");
    expect(() => decodeToken(encodeToken({ host: "http://h.test", secret: "" }))).toThrow("<host>:<secret>");
  });
});

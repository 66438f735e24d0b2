import { describe, expect, it } from "vitest";
import { interpolate } from "./interpolate.js";

const vars = { SHA: "abc123", EMPTY: "", NAME: "web" };
const value = (text: string) => {
  const r = interpolate(text, vars);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};
const failure = (text: string) => {
  const r = interpolate(text, vars);
  if (r.ok) throw new Error(`expected an error for ${text}, got ${r.value}`);
  return r.error;
};

describe("interpolate", () => {
  it("leaves text without $ untouched", () => {
    expect(interpolate("plain", vars)).toEqual({ ok: true, value: "plain", substituted: false });
  });

  it("substitutes braced and bare variables", () => {
    expect(value("app:${SHA}")).toBe("app:abc123");
    expect(value("$NAME-$SHA")).toBe("web-abc123");
  });

  it("applies :- when unset or empty, - only when unset", () => {
    expect(value("${MISSING:-1.0}")).toBe("1.0");
    expect(value("${EMPTY:-d}")).toBe("d");
    expect(value("${EMPTY-d}")).toBe("");
    expect(value("${MISSING-d}")).toBe("d");
    expect(value("${SHA:-1.0}")).toBe("abc123");
  });

  it("applies :+ and + alternatives", () => {
    expect(value("${SHA:+set}")).toBe("set");
    expect(value("${EMPTY:+set}")).toBe("");
    expect(value("${EMPTY+set}")).toBe("set");
    expect(value("${MISSING+set}")).toBe("");
  });

  it("nests defaults", () => {
    expect(value("${MISSING:-${SHA}}")).toBe("abc123");
    expect(value("${MISSING:-${ALSO_MISSING:-x}-y}")).toBe("x-y");
  });

  it("turns $$ into a literal $", () => {
    expect(value("echo $$HOME")).toBe("echo $HOME");
    expect(value("cost: 5$")).toBe("cost: 5$");
  });

  it("fails on an unset variable without default, naming it and how to set it", () => {
    const error = failure("app:${TAG}");
    expect(error.message).toBe("variable TAG is not set");
    expect(error.hint).toContain("--var TAG=");
    expect(failure("$TAG").message).toBe("variable TAG is not set");
  });

  it("fails with the message of :? and ?", () => {
    expect(failure("${EMPTY:?set EMPTY to the tag}").message).toBe("EMPTY: set EMPTY to the tag");
    expect(value("${EMPTY?must exist}")).toBe("");
    expect(failure("${MISSING?}").message).toBe("MISSING: required variable is not set");
  });

  it("rejects malformed expressions", () => {
    expect(failure("${1X}").message).toContain("expected a variable name");
    expect(failure("${A").message).toContain("unterminated");
    expect(failure("${A!x}").message).toContain("invalid interpolation");
  });
});

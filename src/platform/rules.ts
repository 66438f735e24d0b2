/**
 * The provider's rules on what a deployment may name, in one table: the local platform enforces
 * them (local/server) and `svc validate` checks them (manifest/semantic.ts), so the two cannot
 * drift, and a manifest that validates is never refused at apply for one of them.
 */

export interface Rule {
  /** The words of a refusal, after what was refused: `mountPath "/x:rw" may not contain ...`. */
  problem: string;
  breaks: (value: string) => boolean;
  /** A value the rule refuses, for the test that walks the table. */
  example: string;
}

/** Paths a container mounts: its storage, and each config file. */
export const PATH_RULES: readonly Rule[] = [
  { problem: "must be absolute", breaks: (p) => !p.startsWith("/"), example: "relative/path" },
  {
    problem: "may not contain NUL or ':' (the engine reads ':' as mount options)",
    breaks: (p) => p.includes("\0") || p.includes(":"),
    example: "/etc/app.conf:rw",
  },
  {
    problem: "may not contain . or .. segments",
    breaks: (p) => p.split("/").some((s) => s === ".." || s === "."),
    example: "/data/../etc",
  },
  {
    problem: "may not be / or under /proc, /sys or /dev",
    breaks: (p) => p === "/" || /^\/(proc|sys|dev)(\/|$)/.test(p),
    example: "/proc/self",
  },
];

/** Why the platform refuses this path, or undefined. */
export function pathProblem(path: string): string | undefined {
  return PATH_RULES.find((r) => r.breaks(path))?.problem;
}

/**
 * Names that become keys of a request body — container names, env names, label keys — may not
 * name an object's prototype: the platform refuses every body that has such a key (400).
 */
export const PROTOTYPE_KEYS: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);

export const KEY_RULE: Rule = {
  problem: "is a name the platform refuses in any request (__proto__, constructor, prototype)",
  breaks: (k) => PROTOTYPE_KEYS.has(k),
  example: "constructor",
};

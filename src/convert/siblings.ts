/**
 * Compose services reach each other by service name; in one svc service the containers share
 * localhost. These find and rewrite the sibling names used as hosts, in env values and config files.
 */

/**
 * Sibling services' hostnames in env values (`DB_HOST: db`, `postgres://u@db:5432`): the
 * containers of one svc service share localhost, so each becomes `localhost`, and is listed.
 */
export function localhostFor(
  env: Record<string, string>,
  siblings: ReadonlySet<string>,
  at: string,
  notes: string[],
  /** false with --split: the siblings are services of their own, not on localhost. */
  rewrite = true,
): Record<string, string> {
  if (siblings.size === 0) return env;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    const rewritten = hostsTo(v, siblings, "localhost");
    if (rewritten !== v && rewrite)
      notes.push(`${at}.${k}: ${v} → ${rewritten} (the containers share localhost)`);
    else if (rewritten !== v)
      notes.push(
        `${at}.${k} (${v}) names a sibling service, which is a service of its own now: point it at that service's domain or host port`,
      );
    out[k] = rewrite ? rewritten : v;
  }
  return out;
}

/**
 * In a group (one of several manifests a project is converted to): hostnames of services in other
 * groups become the variable that will hold that service's address (`redis://${REDIS_HOST}:6379`),
 * each listed with where its value comes from. Never localhost: they are not in this pod.
 */
export function elsewhereFor(
  env: Record<string, string>,
  elsewhere: ReadonlySet<string>,
  where: (host: string) => { variable: string; service: string },
  at: string,
  notes: string[],
): Record<string, string> {
  if (elsewhere.size === 0) return env;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    const told: string[] = [];
    out[k] = hostsTo(v, elsewhere, (host) => {
      const { variable, service } = where(host);
      told.push(
        `${host} runs in the service ${service}: set ${variable} to its address once it is deployed (svc status ${service} shows it)`,
      );
      return `\${${variable}}`;
    });
    if (out[k] !== v) notes.push(`${at}.${k}: ${v} → ${out[k]} (${[...new Set(told)].join("; ")})`);
  }
  return out;
}

/** A URL's parts up to its host: scheme, userinfo, host (an IPv6 literal in brackets), the rest. */
const URL_FORM = /^([a-zA-Z][a-zA-Z0-9+.-]*:\/\/)([^/?#@\s]*@)?(\[[^\]]*\]|[^:/?#\s]*)(.*)$/s;
/** Without a scheme: `[user[:password]@]host[:port][/path]`, the host a bare name. */
const HOST_FORM = /^([^@/\s]+@)?([A-Za-z0-9_-]+)((?::\d{1,5})?(?:\/.*)?)$/s;

/**
 * `value` with every host that is a sibling's name replaced by `to`, parsed, never by substring.
 * The value is split into tokens at commas, semicolons and whitespace (lists of hosts; a
 * multi-host URL's other hosts); a token with `://` is a URL, of which only the host is compared
 * (`redis://redis:6379/0` keeps its scheme; its query string is never read); any other token is
 * split at `=` (`-Dhost=db`) and each part read as `[user@]host[:port][/path]`. Anything else is
 * left alone. Hostnames compare case-insensitively.
 */
export function hostsTo(
  value: string,
  siblings: ReadonlySet<string>,
  to: string | ((host: string) => string),
): string {
  const sibling = new Set([...siblings].map((s) => s.toLowerCase()));
  const replace = (name: string) => (typeof to === "string" ? to : to(name.toLowerCase()));
  const host = (part: string) => {
    const bare = HOST_FORM.exec(part);
    if (!bare) return part;
    const [, userinfo = "", name = "", rest = ""] = bare;
    return sibling.has(name.toLowerCase()) ? `${userinfo}${replace(name)}${rest}` : part;
  };
  return value
    .split(/([,;\s]+)/)
    .map((token, i) => {
      if (i % 2 === 1 || token === "") return token;
      if (token.includes("://")) {
        const url = URL_FORM.exec(token);
        if (!url) return token;
        const [, scheme, userinfo = "", name = "", rest = ""] = url;
        return sibling.has(name.toLowerCase()) ? `${scheme}${userinfo}${replace(name)}${rest}` : token;
      }
      return token.split(/(=)/).map(host).join("");
    })
    .join("");
}

/** The sibling services a value names as hosts (lower-case), as hostsTo reads them. */
export function hostsNamed(value: string, siblings: ReadonlySet<string>): string[] {
  const found = new Set<string>();
  hostsTo(value, siblings, (host) => {
    found.add(host);
    return host;
  });
  return [...found];
}

/** The sibling names as one regular-expression alternation, each taken literally. */
function alternation(names: ReadonlySet<string>): string {
  return [...names].map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|");
}

/** Where a config file names a sibling service as a host: `//api`, `@db`, `cache:6379`. */
function siblingHosts(siblings: ReadonlySet<string>): RegExp {
  const names = alternation(siblings);
  return new RegExp(`(//|@)(${names})(?=$|[:/;"'\\s])|(^|[\\s"'=(])(${names})(?=:\\d{2,5}\\b)`, "g");
}

export function rewriteSiblings(text: string, siblings: ReadonlySet<string>): string {
  return text.replace(siblingHosts(siblings), (_m, a?: string, _b?: string, c?: string) =>
    a !== undefined ? `${a}localhost` : `${c ?? ""}localhost`,
  );
}

/** Lines of a config file that name a sibling service as a host, and the line with localhost. */
export function siblingMentions(
  content: string,
  siblings: ReadonlySet<string>,
): { line: number; name: string; text: string; rewritten: string }[] {
  if (!content || siblings.size === 0) return [];
  const out: { line: number; name: string; text: string; rewritten: string }[] = [];
  content.split("\n").forEach((text, i) => {
    const m = new RegExp(siblingHosts(siblings).source).exec(text);
    if (m)
      out.push({
        line: i + 1,
        name: (m[2] ?? m[4]) as string,
        text: text.trim().slice(0, 120),
        rewritten: rewriteSiblings(text, siblings).trim().slice(0, 120),
      });
  });
  return out;
}

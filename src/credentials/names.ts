/** Kinds of credential svc keeps, each an account prefix in the keychain and an env prefix for CI. */
export type CredentialKind = "target" | "registry" | "secret";

export const KEYCHAIN_SERVICE = "svc";

const ENV_PREFIX: Record<CredentialKind, string> = {
  target: "SVC_TOKEN_",
  registry: "SVC_REGISTRY_",
  secret: "SVC_SECRET_",
};

export function account(kind: CredentialKind, name: string): string {
  return `${kind}:${name}`;
}

/** `shop-prod` → `SVC_TOKEN_SHOP_PROD`; `ghcr.io` → `SVC_REGISTRY_GHCR_IO`. */
export function envVar(kind: CredentialKind, name: string): string {
  return ENV_PREFIX[kind] + variableName(name);
}

/** A name as an environment variable's: `shop-prod` → `SHOP_PROD`. */
export function variableName(name: string): string {
  return name.toUpperCase().replace(/[^A-Z0-9]/g, "_");
}

/** Every variable of a kind set in the environment, with the name part as written there. */
export function envEntries(
  kind: CredentialKind,
  env: NodeJS.ProcessEnv,
): { variable: string; name: string }[] {
  const prefix = ENV_PREFIX[kind];
  return Object.keys(env)
    .filter((k) => k.startsWith(prefix) && k.length > prefix.length && env[k])
    .sort()
    .map((variable) => ({
      variable,
      name: variable.slice(prefix.length).toLowerCase().replaceAll("_", "-"),
    }));
}

const NAME_RULES: Record<CredentialKind, { pattern: RegExp; rule: string }> = {
  target: {
    pattern: /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/,
    rule: "lower-case letters, digits and dashes, like shop-prod",
  },
  registry: {
    pattern: /^[A-Za-z0-9.-]+(:[0-9]{1,5})?$/,
    rule: "a registry host such as ghcr.io or 127.0.0.1:5000",
  },
  secret: { pattern: /^[A-Za-z0-9][-A-Za-z0-9_.]{0,127}$/, rule: "letters, digits, '-', '_' and '.'" },
};

/** Undefined when valid, else what a valid name looks like. */
export function nameProblem(kind: CredentialKind, name: string): string | undefined {
  const { pattern, rule } = NAME_RULES[kind];
  return pattern.test(name) ? undefined : `"${name}" is not a valid ${kind} name: use ${rule}`;
}

/** Env names that look like they hold a secret (PASSWORD, API_KEY, ...). A guess: used only to hide more, never less. */
export const SECRET_NAME = /(PASS|SECRET|TOKEN|KEY|CREDENTIAL|PRIVATE)/i;

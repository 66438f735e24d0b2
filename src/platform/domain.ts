/** The last two labels of a domain: the group the platform's https-at-first-bind rule applies to. */
export function baseDomain(name: string): string {
  return name.split(".").slice(-2).join(".");
}

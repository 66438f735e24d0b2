/** An image reference's parts: `ghcr.io/acme/web:1.2@sha256:…`. */
export interface ImageReference {
  /** Registry host as logins and the engine's auth config name it (`docker.io` by default). */
  registry: string;
  /** Everything before the tag and digest: `ghcr.io/acme/web`. */
  repository: string;
  tag?: string;
  digest?: string;
}

export function parseImage(ref: string): ImageReference {
  const at = ref.indexOf("@");
  const named = at >= 0 ? ref.slice(0, at) : ref;
  const slash = named.lastIndexOf("/");
  const colon = named.indexOf(":", slash + 1);
  const first = ref.split("/")[0] ?? "";
  const registry =
    ref.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost")
      ? first
      : "docker.io";
  return {
    registry,
    repository: colon >= 0 ? named.slice(0, colon) : named,
    ...(colon >= 0 ? { tag: named.slice(colon + 1) } : {}),
    ...(at >= 0 ? { digest: ref.slice(at + 1) } : {}),
  };
}

/** Registry host of an image reference, as logins and the engine's auth config name it. */
export function registryOf(ref: string): string {
  return parseImage(ref).registry;
}

/** The tag of an image reference; undefined when it has none. A digest-pinned image has `digest`. */
export function imageTag(image: string): { tag?: string; digest?: string } {
  const { tag, digest } = parseImage(image);
  if (digest !== undefined) return { digest };
  return tag !== undefined ? { tag } : {};
}

/** `ghcr.io/acme/web:1.2` → name `ghcr.io/acme/web`, tag `1.2` (the wire's form); digests stay in the name. */
export function splitImage(image: string): { name: string; tag?: string } {
  const { repository, tag, digest } = parseImage(image);
  if (digest !== undefined) return { name: image };
  return tag !== undefined ? { name: repository, tag } : { name: repository };
}

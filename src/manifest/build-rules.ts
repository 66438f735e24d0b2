import { realpathSync, statSync } from "node:fs";
import { dirname, resolve, sep } from "node:path";
import { imageTag, registryOf } from "../platform/image.js";
import { sortedRecord } from "../util/sorted.js";
import type { PathSegment } from "./diagnostics.js";
import { isFile } from "./file-source.js";
import type { BuildSpec, RawContainer } from "./model.js";
import { repositoryRoot } from "./repository.js";

/**
 * A container's `build`: a context directory inside the repository holding its Dockerfile, and an
 * image naming a registry to push to (with no digest: svc decides it).
 */
export function buildSpec(
  c: RawContainer,
  manifest: string,
  allowOutside: boolean,
  error: (path: PathSegment[], message: string, hint?: string) => void,
): BuildSpec | undefined {
  const raw =
    typeof c.build === "string"
      ? { context: c.build }
      : (c.build as Exclude<RawContainer["build"], string | undefined>);
  const at = typeof c.build === "string" ? ["build"] : ["build", "context"];
  const context = resolve(dirname(manifest), raw.context);
  const dockerfile = (raw.dockerfile ?? "Dockerfile").replaceAll("\\", "/");
  let problems = false;
  const fail = (path: PathSegment[], message: string, hint?: string) => {
    problems = true;
    error(path, message, hint);
  };
  let real: string | undefined;
  try {
    real = realpathSync(context);
  } catch {
    fail(
      at,
      `build context "${raw.context}" does not exist (looked for ${context})`,
      "paths are relative to the manifest that names them",
    );
  }
  if (real !== undefined) {
    const root = repositoryRoot(manifest);
    const inside = real === root || real.startsWith(root + sep);
    if (!statSync(real).isDirectory())
      fail(
        at,
        `build context "${raw.context}" is not a directory`,
        "build: names the directory holding the Dockerfile",
      );
    else if (!allowOutside && !inside)
      fail(
        at,
        `build context "${raw.context}" resolves to ${real}, outside the repository (${root})`,
        "keep the context in the repository, or pass --allow-outside",
      );
    else if (dockerfile.split("/").includes("..") || !isFile(resolve(real, dockerfile)))
      fail(
        typeof c.build === "string" ? ["build"] : raw.dockerfile ? ["build", "dockerfile"] : ["build"],
        `no ${dockerfile} in the build context ${raw.context}`,
        raw.dockerfile
          ? "dockerfile is relative to the context"
          : "add a Dockerfile, or name it with build: { context, dockerfile }",
      );
  }
  const { digest } = imageTag(c.image);
  if (digest)
    fail(
      ["image"],
      `image "${c.image}" has a digest, but svc builds it`,
      "name the repository only (registry.example.com/team/web): svc pushes and deploys by digest",
    );
  else if (registryOf(c.image) === "docker.io" && !c.image.startsWith("docker.io/"))
    fail(
      ["image"],
      `image "${c.image}" names no registry to push the build to`,
      "name it with its registry: registry.example.com/team/web, ghcr.io/acme/web, or docker.io/you/web",
    );
  if (problems || real === undefined) return undefined;
  return {
    context: real,
    dockerfile,
    args: sortedRecord(raw.args ?? {}),
    ...(raw.target ? { target: raw.target } : {}),
  };
}

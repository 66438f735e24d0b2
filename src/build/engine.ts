import type Docker from "dockerode";
import { envVar } from "../credentials/names.js";
import { UserError } from "../errors.js";
import type { BuildSpec } from "../manifest/model.js";
import { authConfig, engineMessage } from "../platform/engine.js";
import { registryOf } from "../platform/image.js";
import type { RegistryLogin } from "../platform/model.js";

/** The lines kept of a failing build or push, to say what failed. */
const TAIL = 20;
/** How a registry (through the engine) says a login was refused. */
const LOGIN_REFUSED = /unauthorized|authentication required|denied|no basic auth/i;

/**
 * The Docker engine svc builds and pushes with (DOCKER_HOST, or the default socket), loaded only
 * when a manifest builds.
 */
export async function engine(): Promise<Docker> {
  const { default: Dockerode } = await import("dockerode");
  const docker = new Dockerode();
  try {
    await docker.ping();
  } catch (error) {
    throw new UserError(
      `building images needs a Docker engine, and none answers: ${(error as Error).message}`,
      {
        hint: "start one (dockerd, Docker Desktop) or point DOCKER_HOST at it",
      },
    );
  }
  return docker;
}

/**
 * The digest the image's registry holds for `ref`, or undefined when it holds none. Asked of the
 * registry through the engine, with the login: a wrong login is an error naming the registry.
 */
export async function remoteDigest(
  docker: Docker,
  ref: string,
  login?: RegistryLogin,
): Promise<string | undefined> {
  const image = docker.getImage(ref) as Docker.Image & {
    distribution(opts: object): Promise<{ Descriptor?: { digest?: string } }>;
  };
  try {
    const answer = await image.distribution(login?.username ? { authconfig: authConfig(ref, login) } : {});
    return answer.Descriptor?.digest;
  } catch (error) {
    const message = engineMessage(error);
    if (LOGIN_REFUSED.test(message)) throw loginRefused(ref, message);
    return undefined; // manifest unknown, name unknown: not built yet
  }
}

export interface BuildEvents {
  /** One line of build or push output. */
  line?: (line: string) => void;
}

/**
 * Builds the context into `tag`, pushes it with the login, and returns the
 * reference by digest (`repo@sha256:…`) of what was pushed. A failing step or push throws with
 * its last lines; nothing is pushed from a failed build.
 */
export async function buildAndPush(
  docker: Docker,
  build: BuildSpec & { files: string[] },
  tag: string,
  login: RegistryLogin | undefined,
  events: BuildEvents = {},
): Promise<string> {
  const output: string[] = [];
  const say = (line: string) => {
    for (const l of line.split("\n")) {
      if (!l.trim()) continue;
      output.push(l);
      events.line?.(l);
    }
  };
  const stream = await docker.buildImage(
    { context: build.context, src: build.files },
    {
      t: tag,
      dockerfile: build.dockerfile,
      ...(build.target ? { target: build.target } : {}),
      ...(Object.keys(build.args).length ? { buildargs: build.args } : {}),
      rm: true,
      forcerm: true,
    },
  );
  await follow(docker, stream, (event) => {
    if (event.stream) say(event.stream);
    if (event.status) say(event.status);
    const failure = event.errorDetail?.message ?? event.error;
    if (failure) {
      say(failure);
      throw new UserError(`building ${tag} failed:\n${tail(output)}`, {
        hint: "fix the step above in the Dockerfile (or its context), then plan again",
      });
    }
  });

  const repository = tag.slice(0, tag.lastIndexOf(":"));
  let digest: string | undefined;
  const pushed = await docker.getImage(tag).push({
    tag: tag.slice(repository.length + 1),
    ...(login?.username ? { authconfig: authConfig(tag, login) } : {}),
  });
  await follow(docker, pushed, (event) => {
    const failure = event.errorDetail?.message ?? event.error;
    if (failure) {
      if (LOGIN_REFUSED.test(failure)) throw loginRefused(tag, failure);
      throw new UserError(`pushing ${tag} to ${registryOf(tag)} failed: ${failure}`, {
        hint: "check that the registry is up and the repository name is one you may push to",
      });
    }
    const aux = event.aux as { Digest?: string } | undefined;
    if (aux?.Digest) digest = aux.Digest;
  });
  if (!digest) throw new UserError(`pushing ${tag} to ${registryOf(tag)} gave no digest`);
  return `${repository}@${digest}`;
}

interface Progress {
  stream?: string;
  status?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: unknown;
}

function follow(
  docker: Docker,
  stream: NodeJS.ReadableStream,
  onEvent: (event: Progress) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (error: Error | null) => (error ? reject(error) : resolve()),
      (event: Progress) => {
        try {
          onEvent(event);
        } catch (failure) {
          (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
          reject(failure);
        }
      },
    );
  });
}

function tail(lines: string[]): string {
  return lines
    .slice(-TAIL)
    .map((l) => `    ${l.trimEnd()}`)
    .join("\n");
}

function loginRefused(ref: string, detail: string): UserError {
  const host = registryOf(ref);
  return new UserError(`the registry ${host} refused the login for ${ref}: ${detail}`, {
    hint: `svc registry login ${host} (or ${envVar("registry", host)}=USER:PASSWORD in CI)`,
  });
}

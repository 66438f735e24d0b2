import { closeSync, existsSync, openSync, readFileSync, readSync } from "node:fs";
import type Docker from "dockerode";
import tar from "tar-stream";

/**
 * The infra container of a local pod holds its network and publishes its ports: it only has to
 * wait. Its image is built offline, once, from the host's static busybox.
 */
const PAUSE_IMAGE = "svc-local/pause:1";
const WAIT = ["/bin/sh", "-c", "trap 'exit 0' TERM INT; while :; do sleep 3600 & wait $!; done"];

/** The local pause image and its command, built if missing; undefined without a static busybox. */
export async function localPauseImage(
  docker: Docker,
  hasImage: (ref: string) => Promise<boolean>,
): Promise<{ ref: string; cmd: string[] } | undefined> {
  if (await hasImage(PAUSE_IMAGE)) return { ref: PAUSE_IMAGE, cmd: WAIT };
  const busybox = ["/bin/busybox", "/usr/bin/busybox"].find((p) => existsSync(p) && isStaticElf(p));
  if (!busybox) return undefined;
  await importBusybox(docker, busybox);
  return { ref: PAUSE_IMAGE, cmd: WAIT };
}

async function importBusybox(docker: Docker, path: string): Promise<void> {
  const pack = tar.pack();
  pack.entry({ name: "bin/busybox", mode: 0o755 }, readFileSync(path));
  for (const applet of ["sh", "sleep"]) {
    pack.entry({ name: `bin/${applet}`, type: "symlink", linkname: "busybox" });
  }
  pack.finalize();
  const [repo, tag] = PAUSE_IMAGE.split(":") as [string, string];
  const stream = await docker.importImage(pack as unknown as string, { repo, tag });
  await new Promise<void>((resolve, reject) =>
    docker.modem.followProgress(stream, (e: Error | null) => (e ? reject(e) : resolve())),
  );
}

/** A static ELF has no PT_INTERP program header (no dynamic loader), so it runs in an empty image. */
function isStaticElf(path: string): boolean {
  const fd = openSync(path, "r");
  try {
    const header = Buffer.alloc(64);
    readSync(fd, header, 0, 64, 0);
    if (header.readUInt32BE(0) !== 0x7f454c46 || header[4] !== 2) return false;
    const phoff = Number(header.readBigUInt64LE(32));
    const phentsize = header.readUInt16LE(54);
    const phnum = header.readUInt16LE(56);
    const table = Buffer.alloc(phentsize * phnum);
    readSync(fd, table, 0, table.length, phoff);
    for (let i = 0; i < phnum; i++) if (table.readUInt32LE(i * phentsize) === 3) return false;
    return true;
  } finally {
    closeSync(fd);
  }
}

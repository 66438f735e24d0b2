import { readFileSync, realpathSync, statSync } from "node:fs";
import { relative, sep } from "node:path";

/** A config file's content is sent in API bodies: bounded, and text. */
const MAX_FILE_BYTES = 1024 * 1024;

/**
 * A `files[].source`, read only if it is a regular text file inside the repository (symlinks
 * resolved): a manifest in a pull request must not make svc read /proc/self/environ, a device,
 * or a file elsewhere on the machine into a plan.
 */
export function readSource(
  written: string,
  source: string,
  root: string,
  allowOutside: boolean,
): { content: string } | { message: string; hint: string } {
  let real: string;
  try {
    real = realpathSync(source);
  } catch {
    return {
      message: `file "${written}" does not exist (looked for ${source})`,
      hint: "paths are relative to the manifest that names them",
    };
  }
  if (/^\/(proc|sys|dev)(\/|$)/.test(real)) {
    return {
      message: `"${written}" resolves to ${real}, a system file`,
      hint: "point source at a file in the repository",
    };
  }
  const inside = !relative(root, real).startsWith("..") && (real === root || real.startsWith(root + sep));
  if (!allowOutside && !inside) {
    return {
      message: `"${written}" resolves to ${real}, outside the repository (${root})`,
      hint: "keep config files in the repository, or pass --allow-outside",
    };
  }
  const stat = statSync(real);
  if (!stat.isFile()) {
    return {
      message: `"${written}" is not a regular file`,
      hint: "point source at a file, not a directory or device",
    };
  }
  if (stat.size > MAX_FILE_BYTES) {
    return {
      message: `"${written}" is ${stat.size} bytes; a config file may have at most ${MAX_FILE_BYTES}`,
      hint: "the platform sends config files in its API calls: keep large data in the image or storage",
    };
  }
  try {
    return { content: new TextDecoder("utf-8", { fatal: true }).decode(readFileSync(real)) };
  } catch {
    return {
      message: `"${written}" is not UTF-8 text`,
      hint: "the platform API carries config files as text: keep binary data in the image, or encode it (base64) yourself",
    };
  }
}

export function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

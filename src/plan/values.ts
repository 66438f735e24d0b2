import { structuredPatch } from "diff";
import type { NormalContainer, NormalDomain } from "./model.js";

/**
 * How plan format 3 writes the values of changes (the JSON plan, its digest and every rendering
 * show them so): ports as `host:container/protocol`, domains as `port N[, https]`, config files
 * as unified diff hunks, and a value never shown as the stand-in below.
 */

/** The stand-in for a value that is never shown: secrets, and what may have held one. */
export const HIDDEN = "(sensitive)";

/**
 * Ports as the plan writes them. A live port's host port (`hostsFrom` is the desired side) is
 * shown where the desired side names a host for the same container port or the same host port
 * (`19090:9000/tcp → 19090:9001/tcp`), and left out where the platform assigned it and the
 * manifest names none.
 */
export function portList(ports: NormalContainer["ports"], hostsFrom?: NormalContainer["ports"]): string[] {
  return ports.map((p) => {
    const showHost =
      p.host !== undefined &&
      (!hostsFrom ||
        hostsFrom.some((x) => x.host !== undefined && (x.container === p.container || x.host === p.host)));
    return `${showHost ? `${p.host}:` : ""}${p.container}/${p.protocol}`;
  });
}

export function domainText(d: NormalDomain): string {
  return `port ${d.port}${d.https ? ", https" : ""}`;
}

/** The hunks of a unified diff, live → desired (the path is already on the change). */
export function fileDiff(before: string, after: string): string {
  const patch = structuredPatch("live", "desired", before, after, "", "", { context: 3 });
  return patch.hunks
    .flatMap((h) => [`@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@`, ...h.lines])
    .join("\n");
}

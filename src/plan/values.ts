import { structuredPatch } from "diff";
import type { NormalContainer, NormalDomain } from "./model.js";

/**
 * How plan format 3 writes the values of changes (the JSON plan, its digest and every rendering
 * show them so): ports as `host:container/protocol`, domains as `port N[, https]`, config files
 * as unified diff hunks, and a value never shown as the stand-in below.
 */

/** The stand-in for a value that is never shown: secrets, and what may have held one. */
export const HIDDEN = "(sensitive)";

/** Ports as the plan writes them; an assigned host port only where the other side names one. */
export function portList(ports: NormalContainer["ports"], hostsFrom?: NormalContainer["ports"]): string[] {
  return ports.map((p) => {
    // Show an assigned host port only where the other side names one.
    const showHost =
      p.host !== undefined &&
      (!hostsFrom || hostsFrom.some((x) => x.container === p.container && x.host !== undefined));
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

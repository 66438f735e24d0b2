import { basename, dirname, isAbsolute, relative, resolve } from "node:path";
import { stringify } from "yaml";
import { type Diagnostic, diagnostic } from "../manifest/diagnostics.js";
import { parseManifest } from "../manifest/source.js";
import { fromCompose } from "./compose.js";
import { type Any, type Conversion, type ConvertOptions, isMap } from "./fields.js";
import { fromVKubefile } from "./vkubefile.js";

export type ConvertedSource =
  | {
      ok: true;
      format: "vkube" | "compose";
      conversion: Conversion;
      text: string;
      vkubeToken?: string;
      /** Files the manifest mounts that the converter wrote (rewritten copies), to save beside it. */
      writes: { path: string; content: string }[];
    }
  | { ok: false; diagnostics: Diagnostic[] };

/**
 * A VKubefile or compose file's text as a service.yaml's, read within the manifest loader's limits
 * (untrusted input, like a manifest). File sources are rewritten relative to `outDir`, where the
 * manifest will live. Pure but for `kindOf`, which says what a source path is on disk.
 */
export function convertSource(
  text: string,
  source: { file: string; absolute: string },
  options: Omit<ConvertOptions, "target"> & {
    /** Default: local for a compose file, the service's name for a VKubefile. */
    target?: string;
    outDir: string;
    kindOf: (path: string) => "file" | "dir" | undefined;
    /** The manifest is written (-o): rewritten config files can be saved beside it. */
    writesFiles?: boolean;
  },
): ConvertedSource {
  const parsed = parseManifest(text, source.file, source.absolute, undefined);
  if (parsed.diagnostics.some((d) => d.severity === "error"))
    return { ok: false, diagnostics: parsed.diagnostics };
  const doc = parsed.value;
  const format = detectFormat(doc);
  if (!format) {
    return {
      ok: false,
      diagnostics: [
        diagnostic(
          { file: source.file, line: 1, column: 1 },
          "neither a VKubefile (Kind: vkube) nor a compose file (services:)",
          "svc convert reads those two formats; write other manifests by hand (svc init)",
        ),
      ],
    };
  }
  const map = doc as Any;
  // A VKubefile's service is a real one: `local` would point its login at the local platform.
  const target = options.target ?? (format === "vkube" ? options.name : "local");
  const withTarget = { ...options, target };
  const conversion =
    format === "vkube" ? fromVKubefile(map, withTarget) : fromCompose(map, withTarget, options.kindOf);
  // File sources are relative to the source file; the manifest's are relative to itself.
  const sourceDir = dirname(source.absolute);
  const fromManifest = (path: string) => {
    const rel = relative(options.outDir, isAbsolute(path) ? path : resolve(sourceDir, path));
    return rel.startsWith(".") ? rel : `./${rel}`;
  };
  // A config file naming siblings is saved as a rewritten copy beside the manifest (never over
  // the original); printed to standard output, the manifest keeps the original and a note says so.
  const writes: { path: string; content: string }[] = [];
  for (const r of options.writesFiles ? (conversion.rewritten ?? []) : []) {
    const name = basename(r.from).replace(/(\.[^.]*)?$/, ".localhost$1");
    const path = resolve(options.outDir, name);
    writes.push({ path, content: r.content });
    const file = conversion.manifest.spec.containers
      .find((c) => c.name === r.container)
      ?.files?.find((f) => f.target === r.target);
    if (file) file.source = path;
    conversion.notes.push(
      `${r.from} is mounted as ${name}, written beside the manifest with those hosts as localhost`,
    );
  }
  for (const c of conversion.manifest.spec.containers) {
    for (const f of c.files ?? []) f.source = fromManifest(f.source);
    // So is a build context.
    if (typeof c.build === "string") c.build = fromManifest(c.build);
    else if (c.build) c.build.context = fromManifest(c.build.context);
  }
  const origin = format === "vkube" ? "VKubefile" : "docker compose";
  return {
    ok: true,
    format,
    conversion,
    writes,
    text: `# Converted by svc from ${basename(source.absolute)} (${origin}).\n${stringify(conversion.manifest, { lineWidth: 0 })}`,
    ...(format === "vkube" && map.vkubeToken !== undefined ? { vkubeToken: String(map.vkubeToken) } : {}),
  };
}

function detectFormat(doc: unknown): "vkube" | "compose" | undefined {
  if (!isMap(doc)) return undefined;
  const kind = doc.Kind ?? doc.kind;
  if (typeof kind === "string" && kind.toLowerCase() === "vkube") return "vkube";
  if (isMap(doc.services)) return "compose";
  return undefined;
}

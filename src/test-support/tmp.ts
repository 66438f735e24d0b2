import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

/** A fresh temporary directory holding the given files (path → content). */
export function tempTree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "svc-test-"));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

/** A minimal valid manifest, with extra YAML lines appended under the first container. */
export function manifest(name: string, containerExtra = "", specExtra = ""): string {
  return `apiVersion: svc/v1
kind: Service
metadata:
  name: ${name}
spec:
  target: local
  containers:
    - name: web
      image: app:1.0
${containerExtra}${specExtra}`;
}

import { describe, expect, it } from "vitest";
import { UserError } from "../errors.js";
import { exportPath } from "./export.js";

describe("export paths", () => {
  it("writes a live config file under files/<container>/ beside the manifest", () => {
    expect(exportPath("/out/service.yaml", "web", "/etc/nginx/nginx.conf")).toBe(
      "/out/files/web/etc/nginx/nginx.conf",
    );
  });

  it("refuses a live path that would escape the export", () => {
    for (const path of ["/../../../tmp/x", "../../etc/passwd", "/", "/etc/../../.."]) {
      expect(() => exportPath("/out/service.yaml", "web", path), path).toThrow(UserError);
    }
  });
});

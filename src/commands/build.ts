import * as Args from "@oclif/core/args";
import * as Flags from "@oclif/core/flags";
import pc from "picocolors";
import { Engine } from "../build/resolve.js";
import { type BuildResult, buildServices } from "../build/run.js";
import { SvcCommand } from "../cli/base.js";
import { interpolationVariables, manifestFlags } from "../cli/manifest-flags.js";
import { Credentials } from "../credentials/credentials.js";
import { ExitCode } from "../errors.js";
import { hasErrors } from "../manifest/diagnostics.js";
import { loadServices } from "../manifest/load.js";
import { renderDiagnostics } from "../render/diagnostics.js";
import { table } from "../render/table.js";

export default class Build extends SvcCommand {
  static override summary = "Build and push the images of containers with build:, without deploying.";
  static override description =
    "For pipelines that build in one step and deploy in another. Each context is hashed (.dockerignore applied); a context the registry already holds a build of is not built again. Exit codes: 0 built or up to date, 1 a build or push failed, 3 invalid manifests.";
  static override examples = ["<%= config.bin %> build", "<%= config.bin %> build services/ --json"];
  static override strict = false;
  static override args = {
    path: Args.string({ description: "Directories to search for **/service.yaml (or manifest files)." }),
  };
  static override flags = {
    ...manifestFlags,
    target: Flags.string({
      multiple: true,
      description: "Build only the services deploying to this target.",
    }),
    parallelism: Flags.integer({ description: "Services built at once.", default: 4, min: 1, max: 64 }),
  };

  async run(): Promise<BuildResult> {
    const { argv, flags } = await this.parse(Build);
    const loaded = loadServices({
      files: flags.file ?? [],
      paths: argv as string[],
      vars: interpolationVariables(flags.var),
      allowOutside: flags["allow-outside"],
    });
    if (hasErrors(loaded.diagnostics)) {
      if (this.jsonEnabled())
        this.logJson({ error: { message: "invalid manifests", diagnostics: loaded.diagnostics } });
      else this.log(renderDiagnostics(loaded.diagnostics));
      this.exit(ExitCode.invalidInput);
    }
    const specs = loaded.services.filter(
      (s) => s.containers.some((c) => c.build) && (!flags.target || flags.target.includes(s.target)),
    );
    if (specs.length === 0) {
      if (!this.jsonEnabled())
        this.log("No container in these manifests has build:, so there is nothing to build.");
      return { version: 1, images: [] };
    }
    const images = await buildServices(specs, {
      credentials: new Credentials(),
      engines: new Engine(),
      parallelism: flags.parallelism,
      start: (service, b) => {
        if (!this.jsonEnabled())
          this.log(pc.dim(`… ${service}: building ${b.container} (context ${b.hash.slice(0, 19)})`));
      },
    });
    const result: BuildResult = { version: 1, images };
    if (!this.jsonEnabled()) {
      this.log(
        table(
          ["SERVICE", "CONTAINER", "IMAGE", ""],
          result.images.map((i) => [
            i.service,
            i.container,
            i.image,
            i.built ? "built and pushed" : "up to date",
          ]),
        ),
      );
    }
    return result;
  }
}

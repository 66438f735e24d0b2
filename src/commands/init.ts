import { copyFileSync, existsSync, mkdirSync, realpathSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import * as Args from "@oclif/core/args";
import * as Flags from "@oclif/core/flags";
import pc from "picocolors";
import { SvcCommand } from "../cli/base.js";
import { ExitCode, UserError } from "../errors.js";
import { MANIFEST_NAME } from "../manifest/load.js";
import { toName } from "../manifest/model.js";
import { repositoryRoot } from "../manifest/repository.js";
import { serviceSchemaPath } from "../manifest/schema.js";
import { STARTER_IMAGE, starterManifest } from "../manifest/starter.js";

export interface InitResult {
  file: string;
  name: string;
  target: string;
}

export default class Init extends SvcCommand {
  static override summary = "Write a commented starter service.yaml.";
  static override description = "Never overwrites an existing file unless --force is given.";
  static override examples = [
    "<%= config.bin %> init",
    "<%= config.bin %> init services/api --name api --target prod",
  ];
  static override args = {
    dir: Args.string({ description: "Directory to write service.yaml into.", default: "." }),
  };
  static override flags = {
    name: Flags.string({ description: "Service name (default: the directory's name, cleaned up)." }),
    target: Flags.string({ description: "Target (credential name) to deploy into.", default: "local" }),
    image: Flags.string({
      description:
        "Image of the first container (default: an example image that runs on the local platform offline).",
      default: STARTER_IMAGE,
    }),
    force: Flags.boolean({ description: "Overwrite an existing service.yaml." }),
  };

  async run(): Promise<InitResult> {
    const { args, flags } = await this.parse(Init);
    const dir = resolve(args.dir);
    const file = join(dir, MANIFEST_NAME);
    if (existsSync(file) && !flags.force) {
      throw new UserError(`${relative(process.cwd(), file) || file} already exists`, {
        hint: "pass --force to overwrite it, or choose another directory",
        exitCode: ExitCode.invalidInput,
      });
    }
    const name = flags.name ?? toName(basename(dir));
    if (!/^[a-z0-9-]{1,63}$/.test(name)) {
      throw new UserError(`"${name}" is not a valid service name`, {
        hint: "pass --name with 1-63 lower-case letters, digits or dashes",
        exitCode: ExitCode.invalidInput,
      });
    }
    mkdirSync(dir, { recursive: true });
    // The schema goes into the repository, so the modeline works for every teammate, offline.
    const schema = join(repositoryRoot(file), ".svc", "service.schema.json");
    mkdirSync(dirname(schema), { recursive: true });
    copyFileSync(serviceSchemaPath, schema);
    const schemaRef = relative(realpathSync(dir), schema).split(sep).join("/");
    writeFileSync(file, starterManifest({ name, target: flags.target, image: flags.image, schemaRef }));
    const shown = relative(process.cwd(), file) || file;
    if (!this.jsonEnabled()) {
      this.log(
        `${pc.green("✔")} wrote ${shown} (and its schema, for editors, in ${relative(process.cwd(), schema) || schema})`,
      );
      this.log(`Next: edit it, then ${pc.bold("svc validate")} and ${pc.bold("svc plan")}.`);
    }
    return { file: shown, name, target: flags.target };
  }
}

import * as Flags from "@oclif/core/flags";
import pc from "picocolors";
import { SvcCommand } from "../../cli/base.js";
import { adminCall } from "../../local/control/running.js";
import { describeStorage, storeToken, type TokenStorage } from "../../local/control/tokens.js";
import { localPaths } from "../../local/paths.js";

export default class LocalCreateService extends SvcCommand {
  static override summary = "Create a user service on the local platform, like buying one.";
  static override examples = ["<%= config.bin %> local create-service --units 4 --storage --name staging"];
  static override flags = {
    units: Flags.integer({
      description: "Resource units (each also gives one port).",
      required: true,
      min: 1,
      max: 64,
    }),
    storage: Flags.boolean({ description: "With persistent storage." }),
    "specified-ports": Flags.boolean({ description: "Allow choosing host ports." }),
    name: Flags.string({ description: "Service id (default: generated)." }),
    hours: Flags.integer({ description: "Duration in hours.", default: 720, min: 1 }),
  };

  async run(): Promise<{ id: string; token: TokenStorage }> {
    const { flags } = await this.parse(LocalCreateService);
    const paths = localPaths();
    const { id, token } = await adminCall<{ id: string; token: string }>(
      paths,
      "POST",
      "/admin/v1/services",
      {
        units: flags.units,
        persistStorage: flags.storage,
        specifiedPort: flags["specified-ports"],
        durationHours: flags.hours,
        ...(flags.name ? { name: flags.name } : {}),
      },
    );
    const storage = await storeToken(paths, id, token);
    if (!this.jsonEnabled()) {
      this.log(
        `${pc.green("✔")} created user service ${pc.bold(id)} (${flags.units} units); target name ${id}`,
      );
      for (const line of describeStorage(storage)) this.log(line);
    }
    return { id, token: storage };
  }
}

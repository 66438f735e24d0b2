import * as Args from "@oclif/core/args";
import { SvcCommand } from "../../cli/base.js";
import { credentialStore, credentialsFile } from "../../credentials/file-store.js";
import type { ConfigResult } from "./set.js";

export default class ConfigGet extends SvcCommand {
  static override summary = "Show one of svc's settings on this machine.";
  static override examples = ["<%= config.bin %> config get credential-store"];
  static override args = {
    key: Args.string({ description: "The setting.", required: true, options: ["credential-store"] }),
  };

  async run(): Promise<ConfigResult> {
    await this.parse(ConfigGet);
    const value = credentialStore();
    const file = credentialsFile();
    if (!this.jsonEnabled()) this.log(value === "file" ? `file (${file})` : "keychain");
    return { key: "credential-store", value, ...(value === "file" ? { file } : {}) };
  }
}

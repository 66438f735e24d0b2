import { LifecycleCommand, lifecycleArgs, lifecycleFlags } from "../cli/lifecycle-command.js";

export default class Resume extends LifecycleCommand {
  static override summary = "Resume a paused target and wait until its containers run.";
  static override args = lifecycleArgs;
  static override flags = lifecycleFlags;
  protected readonly action = { verb: "resume", call: "start", phase: "Running" } as const;
}

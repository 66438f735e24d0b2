import { LifecycleCommand, lifecycleArgs, lifecycleFlags } from "../cli/lifecycle-command.js";

export default class Restart extends LifecycleCommand {
  static override summary = "Restart a target's containers, then wait until they run again.";
  static override args = lifecycleArgs;
  static override flags = lifecycleFlags;
  protected readonly action = { verb: "restart", call: "restart", phase: "Running" } as const;
}

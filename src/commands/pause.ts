import { LifecycleCommand, lifecycleArgs, lifecycleFlags } from "../cli/lifecycle-command.js";

export default class Pause extends LifecycleCommand {
  static override summary = "Pause a target: stop its containers (the service and its data stay).";
  static override args = lifecycleArgs;
  static override flags = lifecycleFlags;
  protected readonly action = { verb: "pause", call: "stop", phase: "Paused" } as const;
}

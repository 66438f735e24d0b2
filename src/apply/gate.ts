/** Whether apply may go ahead, must ask, or must refuse — decided from the plan and the flags. */
export type GateDecision =
  | { kind: "nothing-to-do" }
  | { kind: "proceed" }
  | { kind: "prompt"; destructive: boolean }
  | { kind: "refuse"; message: string; flag: "--auto-approve" | "--allow-destructive" };

export interface GateInput {
  changes: boolean;
  destructive: boolean;
  interactive: boolean;
  autoApprove: boolean;
  allowDestructive: boolean;
}

/**
 * Ordinary changes need a yes at a terminal or --auto-approve; destructive ones (storage removed
 * or moved) also need --allow-destructive when nobody is there to read the warning.
 */
export function decide(input: GateInput): GateDecision {
  if (!input.changes) return { kind: "nothing-to-do" };
  if (input.destructive && !input.allowDestructive && !input.interactive) {
    return {
      kind: "refuse",
      message:
        "the plan is destructive (data in storage left behind, or a service stopped) and there is no terminal to confirm it",
      flag: "--allow-destructive",
    };
  }
  if (input.autoApprove) {
    if (input.destructive && !input.allowDestructive) return { kind: "prompt", destructive: true };
    return { kind: "proceed" };
  }
  if (!input.interactive) {
    return {
      kind: "refuse",
      message: "apply needs approval and there is no terminal to ask",
      flag: "--auto-approve",
    };
  }
  return { kind: "prompt", destructive: input.destructive };
}

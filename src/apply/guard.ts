import { ConcurrentChange, OutcomeUnknown, PlatformHttpError, transient } from "../errors.js";
import { fingerprintOf } from "../plan/build.js";
import type { Fingerprint } from "../plan/fingerprint.js";
import type { ServicePlan } from "../plan/model.js";
import type { MutationResult, PlatformClient } from "../platform/client.js";
import type { ObservedState } from "../platform/model.js";
import { backoffMs, sleep } from "../util/poll.js";

/** One mutation as apply sends it, and how the live state shows that it took effect. */
export interface Mutation {
  /** For messages: `bind-domain shop.example.com`. */
  name: string;
  /**
   * Sends the call. `live` is the state it is made against: without revisions, the very state the
   * guard just compared (no second read); with them, read on first use.
   */
  send: (ifRevision: number | undefined, live: () => Promise<ObservedState>) => Promise<MutationResult>;
  /** Whether the observed state shows the change; absent when no state can show it. */
  landed?: (state: ObservedState) => boolean;
}

const ATTEMPTS_WITH_REVISION = 8;

/**
 * How long a change may take to show in the live state. A Kubernetes-backed provider changes the
 * Deployment at once but shows the new pod only when it exists, seconds later: until then the
 * previous pod is what a read sees.
 */
export const SETTLE_TIMEOUT_MS = 30_000;

/**
 * Keeps one service's calls honest. With the `revision` capability every call carries
 * `if-revision`, and after a lost answer the revision tells whether it landed. Without it,
 * compare-then-write: before each call the live state is read again and must hash to what the
 * plan (or the state read after the previous call) saw; after a lost answer the state is read to
 * decide — landed: go on; nothing changed: send once more; anything else: outcome unknown.
 * A mutation is never sent again blindly.
 *
 * The live state may show a change late (eventual consistency): after every call the guard waits
 * (up to SETTLE_TIMEOUT_MS, said in a note) until the state shows it, so the next call is compared with
 * the state this one leads to, and the rollout looks at the new pod, never the previous one; and
 * after a lost answer "nothing changed" is decided only once that wait is over.
 */
export class Guard {
  private revision: number | undefined;
  private expected: string;

  constructor(
    private readonly client: Pick<PlatformClient, "observe" | "userService">,
    private readonly withRevision: boolean,
    planned: ServicePlan["fingerprint"],
    /** The target's keyed fingerprint, the one the plan was made with. */
    private readonly fingerprint: Fingerprint,
    /** Says what the guard waits for, when it waits. */
    private readonly note: (message: string) => void = () => {},
    private readonly settleMs = SETTLE_TIMEOUT_MS,
  ) {
    this.revision = planned.revision;
    this.expected = planned.hmac;
  }

  private hash(state: ObservedState): string {
    return fingerprintOf(state, this.fingerprint).hmac;
  }

  /** The revision after the last call, where the provider has one. */
  get currentRevision(): number | undefined {
    return this.revision;
  }

  async run(mutation: Mutation): Promise<void> {
    if (this.withRevision && this.revision !== undefined) {
      await this.withIfRevision(mutation, this.revision);
      if (mutation.landed) await this.shown(mutation);
    } else await this.compareThenWrite(mutation);
  }

  /**
   * The live state once it shows the mutation (read until it does, up to the settle time). A
   * call the provider accepted that never shows is not known to have taken effect: outcome unknown.
   */
  private async shown(mutation: Mutation): Promise<ObservedState> {
    const { state, landed } = await this.settle(mutation);
    if (landed) return state;
    throw new OutcomeUnknown(
      mutation.name,
      `the platform accepted it, but the live state did not show it within ${this.settleMs / 1000} s`,
    );
  }

  /**
   * Reads the live state until the mutation shows in it or the settle time is over; the last
   * state read, and whether it showed the mutation. A state that moved otherwise is read on: a
   * provider may show a change in parts (the service record at once, the pod later).
   */
  private async settle(mutation: Mutation): Promise<{ state: ObservedState; landed: boolean }> {
    const deadline = Date.now() + this.settleMs;
    let noted = false;
    for (let attempt = 1; ; attempt++) {
      const state = await this.client.observe();
      if (mutation.landed?.(state)) return { state, landed: true };
      if (Date.now() >= deadline) return { state, landed: false };
      if (!noted) {
        noted = true;
        this.note(`waiting up to ${this.settleMs / 1000} s for the platform to show ${mutation.name}`);
      }
      await sleep(Math.min(backoffMs(attempt + 1), 1000));
    }
  }

  private async withIfRevision(mutation: Mutation, start: number): Promise<void> {
    const expected = start;
    let state: Promise<ObservedState> | undefined;
    const live = () => {
      state ??= this.client.observe();
      return state;
    };
    for (let attempt = 1; ; attempt++) {
      try {
        const answer = await mutation.send(expected, live);
        this.revision = answer.revision ?? expected + 1;
        return;
      } catch (error) {
        if (error instanceof PlatformHttpError && error.status === 409 && /revision/.test(error.message)) {
          throw new ConcurrentChange(`${mutation.name}: ${error.message}`);
        }
        if (!transient(error) || attempt >= ATTEMPTS_WITH_REVISION) throw error;
        await backoff(attempt);
        const now = (await this.client.userService()).revision;
        if (now === expected + 1) {
          this.revision = now;
          return; // it landed; the answer was lost
        }
        if (now !== expected) {
          throw new ConcurrentChange(`revision moved from ${expected} to ${now} during ${mutation.name}`);
        }
        // Unchanged: it did not land, and if-revision makes sending it again safe.
      }
    }
  }

  private async compareThenWrite(mutation: Mutation): Promise<void> {
    const before = await this.client.observe();
    const hash = this.hash(before);
    if (hash !== this.expected) {
      throw new ConcurrentChange(`before ${mutation.name}, the live state differs from the one expected`);
    }
    for (let attempt = 1; ; attempt++) {
      try {
        await mutation.send(undefined, async () => before);
        break;
      } catch (error) {
        if (!transient(error)) throw error;
        if (!mutation.landed) {
          throw new OutcomeUnknown(mutation.name, "its answer was lost and no live state shows this change");
        }
        // A change may show late: "nothing changed" (or "changed otherwise") only once the
        // settle time is over.
        const { state, landed } = await this.settleAfterLoss(mutation, error);
        if (landed) {
          this.expected = this.hash(state);
          return;
        }
        if (this.hash(state) !== hash) {
          throw new OutcomeUnknown(
            mutation.name,
            "its answer was lost and the live state changed, but not as asked",
          );
        }
        // Nothing changed: it did not land. Send it once more; after that it simply failed.
        if (attempt >= 2) throw error;
      }
    }
    this.expected = this.hash(mutation.landed ? await this.shown(mutation) : await this.client.observe());
  }

  private async settleAfterLoss(
    mutation: Mutation,
    error: unknown,
  ): Promise<{ state: ObservedState; landed: boolean }> {
    await backoff(1);
    try {
      return await this.settle(mutation);
    } catch {
      throw new OutcomeUnknown(
        mutation.name,
        `its answer was lost (${(error as Error).message}) and the platform cannot be read now`,
      );
    }
  }
}

/** A moment before reading again, longer each attempt: 0.1–0.3 s first, at most 3 s. */
function backoff(attempt: number): Promise<void> {
  return sleep(backoffMs(attempt + 1));
}

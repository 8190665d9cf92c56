import type { BackendClient } from "../backend/client.js";
import { api } from "../contract/api.js";
import type { CheckedTrace } from "../contract/documents.js";
import type { Runtime } from "../runtime/index.js";

export interface ReplayAgentOptions {
  client: BackendClient;
  runtime: Runtime;
  owner: string;
  onError: (error: Error) => void;
  /** How often it asks for due seeds when the backend does not say when the next is due. Default 100 ms (the pacing itself is the backend's). */
  pollMs?: number;
  /**
   * How often it asks while nothing is pending (paused, finished, or another daemon drives): also
   * the longest a resume or a new seed waits to be seen. Default 1 s.
   */
  idlePollMs?: number;
  /** The replay lease; another daemon takes over once it lapses. Default 10 s. */
  leaseMs?: number;
}

/** The shortest wait between two asks: a seed due in 1 ms is taken with the next one. */
const MIN_WAIT_MS = 5;

/**
 * The replay is an agent: each due seed trace becomes a call of the example agent through the
 * runtime, with the recorded answer standing in for the model. Because that answer is already
 * known, every served call is checked against it for free (`knownAnswer`: a drift check, still a
 * saving), where a live agent samples 5 % and pays for them. So every replayed call keeps its
 * trace (a model did answer it, in the recording): deferred and served ones alike are committed
 * with the replay position in one transaction (replay.advance), so a crash neither loses nor
 * repeats a seed, and a bucket whose entry was demoted has the new answers to learn from.
 */
export class ReplayAgent {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly opts: ReplayAgentOptions) {}

  start(): void {
    const pollMs = this.opts.pollMs ?? 100;
    const idleMs = Math.max(pollMs, this.opts.idlePollMs ?? 1000);
    const loop = () => {
      if (this.stopped) return;
      let delay = pollMs;
      this.running = this.step()
        .then((r) => void (delay = r.moved > 0 ? 0 : r.waitMs === null ? idleMs : Math.min(Math.max(r.waitMs, MIN_WAIT_MS), idleMs)))
        .catch((e: unknown) => this.opts.onError(e instanceof Error ? e : new Error(String(e))))
        .finally(() => {
          this.running = undefined;
          // A batch that moved seeds may have left more due (a fast speed, or 0): ask again at once,
          // letting timers and I/O run in between. Otherwise wait until the next seed is due, and
          // while nothing is pending (paused, finished) poll at leisure: an idle daemon stays idle.
          if (!this.stopped) this.timer = setTimeout(loop, delay);
        });
    };
    loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /**
   * One batch: take the due seeds, call the runtime for each in order, commit. Returns how many
   * moved and, when none did, how long nothing will be due (null: until the replay is changed).
   */
  async step(): Promise<{ moved: number; waitMs: number | null }> {
    const { client, runtime, owner } = this.opts;
    const batch = await client.mutation(api.daemon.replay.take, { owner, leaseMs: this.opts.leaseMs ?? 10_000 });
    if (batch.count === 0 || batch.toSeq === null) return { moved: 0, waitMs: batch.waitMs };
    const traces: CheckedTrace[] = [];
    let served = 0;
    for (const { seq: _seq, ...seed } of batch.seeds) {
      const result = await runtime.callDetailed(
        seed.bucket,
        seed.input,
        async () => ({ output: seed.output, model: seed.model, tokensIn: seed.tokensIn, tokensOut: seed.tokensOut, latencyMs: seed.latencyMs }),
        { record: false, knownAnswer: seed.output },
      );
      if (result.source === "served") served++;
      traces.push(seed);
    }
    // Seeds that break the trace limits were passed over by take: the position moves past them too.
    await client.mutation(api.daemon.replay.advance, { owner, fromCursor: batch.fromCursor, toSeq: batch.toSeq, count: batch.count, served, traces, skipped: batch.skipped });
    return { moved: batch.count, waitMs: 0 };
  }
}

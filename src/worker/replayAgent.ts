import type { BackendClient } from "../backend/client.js";
import { api } from "../contract/api.js";
import type { CheckedTrace } from "../contract/documents.js";
import type { Runtime } from "../runtime/index.js";

export interface ReplayAgentOptions {
  client: BackendClient;
  runtime: Runtime;
  owner: string;
  onError: (error: Error) => void;
  /** How often it asks for due seeds. Default 100 ms (the pacing itself is the backend's). */
  pollMs?: number;
  /** The replay lease; another daemon takes over once it lapses. Default 10 s. */
  leaseMs?: number;
}

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
    const loop = () => {
      if (this.stopped) return;
      let moved = 0;
      this.running = this.step()
        .then((n) => void (moved = n))
        .catch((e: unknown) => this.opts.onError(e instanceof Error ? e : new Error(String(e))))
        .finally(() => {
          this.running = undefined;
          // A batch that moved seeds may have left more due (a fast speed, or 0): ask again at once,
          // letting timers and I/O run in between; an empty one waits for the next poll.
          if (!this.stopped) this.timer = setTimeout(loop, moved > 0 ? 0 : pollMs);
        });
    };
    loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** One batch: take the due seeds, call the runtime for each in order, commit. */
  async step(): Promise<number> {
    const { client, runtime, owner } = this.opts;
    const batch = await client.mutation(api.daemon.replay.take, { owner, leaseMs: this.opts.leaseMs ?? 10_000 });
    if (batch.count === 0 || batch.toSeq === null) return 0;
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
    return batch.count;
  }
}

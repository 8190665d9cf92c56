import { api } from "../contract/api.js";
import { rankQueue } from "../contract/queueOrder.js";
import type { BackendClient } from "../backend/client.js";
import type { Stage2Runner } from "../compiler/types.js";
import { ScanCache } from "./scanner.js";
import { asError } from "./heartbeat.js";
import { BadTraceError, runPipeline, type ClaimedJob } from "./pipeline.js";

export interface JobLoopOptions {
  client: BackendClient;
  owner: string;
  agentDir: string;
  stage2: Stage2Runner;
  leaseMs?: number;
  onJob: (event: { phase: "claimed" | "stage" | "done" | "failed" | "released"; job: ClaimedJob; detail?: string; stage?: string; progress?: number }) => void;
  onError: (e: Error) => void;
}

/**
 * Claims jobs when the pending list changes (a subscription, not a polling loop), one at a time,
 * renewing the lease while the pipeline runs. Every write after the claim carries the claim token,
 * so a job whose lease expired and was re-claimed elsewhere cannot be completed twice.
 */
export class JobLoop {
  private paused = false;
  private stopping = false;
  private current: { job: ClaimedJob; done: Promise<void>; abort: AbortController } | undefined;
  private wakeups = 0;
  private draining = false;
  private unsubscribes: Array<() => void> = [];
  private readonly leaseMs: number;
  private readonly scans = new ScanCache();

  constructor(private readonly opts: JobLoopOptions) {
    this.leaseMs = opts.leaseMs ?? 15_000;
  }

  get currentJob(): ClaimedJob | undefined {
    return this.current?.job;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  start(): void {
    const { client } = this.opts;
    this.unsubscribes.push(
      client.onUpdate(api.daemon.replay.state, {}, (state) => {
        this.paused = state.paused;
        this.wake();
      }, (e) => this.opts.onError(e)),
      client.onUpdate(api.daemon.compiles.pending, {}, () => this.wake(), (e) => this.opts.onError(e)),
    );
  }

  /** Coalesces wake-ups: while a claim or job is in flight, one more look afterwards is enough. */
  private wake(): void {
    this.wakeups++;
    if (this.draining) return;
    this.draining = true;
    void this.drain().finally(() => {
      this.draining = false;
    });
  }

  /** The only place jobs run, and never twice at once: this daemon works one job at a time. */
  private async drain(): Promise<void> {
    while (this.wakeups > 0) {
      this.wakeups = 0;
      while (!this.paused && !this.stopping) {
        const claimed = await this.claim();
        if (!claimed) break;
        await this.runOne(claimed);
      }
    }
  }

  private async claim(): Promise<ClaimedJob | null> {
    const { client } = this.opts;
    try {
      // The most valuable job first: expected saving (call rate x model price), then age.
      const prefer = rankQueue(await client.query(api.daemon.compiles.queue, {})).map((j) => j.jobId);
      const job = await client.mutation(api.daemon.compiles.claim, {
        prefer,
        owner: this.opts.owner,
        leaseMs: this.leaseMs,
      });
      return job ? { ...job, jobId: String(job.jobId), uptoSeq: job.uptoSeq ?? undefined } : null;
    } catch (e) {
      this.opts.onError(asError(e));
      return null;
    }
  }

  private async runOne(job: ClaimedJob): Promise<void> {
    const { client } = this.opts;
    const abort = new AbortController();
    const fenced = { jobId: job.jobId as never, claimToken: job.claimToken };
    this.opts.onJob({ phase: "claimed", job });
    const renew = setInterval(() => {
      client.mutation(api.daemon.compiles.renew, { ...fenced, leaseMs: this.leaseMs }).catch((e: unknown) => {
        // Lost the lease (fenced out): stop working on a job someone else now owns.
        this.opts.onError(asError(e));
        abort.abort();
      });
    }, Math.max(500, Math.floor(this.leaseMs / 3)));
    const done = (async () => {
      try {
        const verdict = await runPipeline(job, {
          client,
          agentDir: this.opts.agentDir,
          stage2: this.opts.stage2,
          scans: this.scans,
          signal: abort.signal,
          onStage: (stage, progress) => this.opts.onJob({ phase: "stage", job, stage, progress }),
        });
        this.opts.onJob({ phase: "done", job, detail: verdict });
      } catch (e) {
        const error = asError(e);
        if (abort.signal.aborted && this.stopping) {
          await client.mutation(api.daemon.compiles.release, fenced).catch(() => undefined);
          this.opts.onJob({ phase: "released", job, detail: "shutdown" });
          return;
        }
        this.opts.onJob({ phase: "failed", job, detail: error.message });
        // Bad input in the state fails the job at once: another attempt would read the same trace.
        const final = error instanceof BadTraceError;
        await client
          .mutation(api.daemon.compiles.fail, { ...fenced, error: error.message.slice(0, 500), ...(final ? { final } : {}) })
          .catch((err: unknown) => this.opts.onError(asError(err)));
      } finally {
        clearInterval(renew);
      }
    })();
    this.current = { job, done, abort };
    await done;
    this.current = undefined;
  }

  /** Stop claiming; give the current job `graceMs` to finish, then abort it and release its lease. */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    for (const u of this.unsubscribes) u();
    this.unsubscribes = [];
    const current = this.current;
    if (!current) return;
    const finished = await Promise.race([current.done.then(() => true), delay(graceMs).then(() => false)]);
    if (!finished) {
      current.abort.abort();
      await Promise.race([current.done, delay(2000)]);
    }
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

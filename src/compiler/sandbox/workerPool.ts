import { availableParallelism } from "node:os";
import { setFlagsFromString } from "node:v8";
import { Worker } from "node:worker_threads";
import { WORKER_SOURCE } from "./vmEvaluate.js";

interface PendingJob {
  message: Record<string, unknown>;
  resolve(value: unknown): void;
  reject(error: Error): void;
  hardTimeoutMs: number;
}

interface Slot {
  worker: Worker;
  busy: { id: number; job: PendingJob; timer: NodeJS.Timeout } | null;
}

/**
 * Warm worker threads that evaluate compiled code in node:vm. The worker source is a string
 * (`eval: true`), so it runs the same from TypeScript sources and from the tsc build. A job that
 * overruns its hard limit (the vm timeout failed to stop it) costs its worker, which is replaced.
 * Idle workers are unref'd: they never keep a finished CLI process alive, and after `idleMs` without
 * work they are retired, so an always-on daemon does not hold their memory between compiles.
 */
export class WorkerPool {
  private readonly slots: Slot[] = [];
  private readonly queue: PendingJob[] = [];
  private nextId = 1;
  private closed = false;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly size = Math.max(1, Math.min(4, availableParallelism())),
    private readonly idleMs = 5_000,
  ) {}

  run<T>(message: Record<string, unknown>, hardTimeoutMs = 10_000): Promise<T> {
    if (this.closed) return Promise.reject(new Error("worker pool is closed"));
    this.cancelIdle();
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ message, resolve: resolve as (value: unknown) => void, reject, hardTimeoutMs });
      this.dispatch();
    });
  }

  /** Starts the workers now, so the first job does not pay their start-up. */
  warm(): void {
    while (this.slots.length < this.size) this.slots.push(this.spawn());
  }

  /** The worker count right now (tests). */
  get liveWorkers(): number {
    return this.slots.length;
  }

  private cancelIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  private armIdle(): void {
    this.cancelIdle();
    if (this.queue.length > 0 || this.slots.some((slot) => slot.busy)) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      if (this.queue.length > 0 || this.slots.some((slot) => slot.busy)) return;
      // Removed from the pool first, so their exit is not taken for a crash to replace.
      for (const slot of this.slots.splice(0)) void slot.worker.terminate();
    }, this.idleMs);
    this.idleTimer.unref();
  }

  async close(): Promise<void> {
    this.cancelIdle();
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(new Error("worker pool is closed"));
    await Promise.all(this.slots.splice(0).map((slot) => slot.worker.terminate()));
  }

  private spawn(): Slot {
    hardenRegExps();
    // A heap cap: a program that allocates without end kills its worker, not the daemon.
    const worker = new Worker(WORKER_SOURCE, { eval: true, resourceLimits: { maxOldGenerationSizeMb: 256, maxYoungGenerationSizeMb: 32 } });
    worker.unref();
    const slot: Slot = { worker, busy: null };
    worker.on("message", (reply: { id: number; result?: unknown; error?: string }) => {
      const busy = slot.busy;
      if (!busy || busy.id !== reply.id) return;
      clearTimeout(busy.timer);
      slot.busy = null;
      worker.unref();
      if (reply.error !== undefined) busy.job.reject(new Error(reply.error));
      else busy.job.resolve(reply.result);
      this.dispatch();
      this.armIdle();
    });
    worker.on("error", (err) => this.replace(slot, err));
    worker.on("exit", () => this.replace(slot, new Error("sandbox worker exited")));
    return slot;
  }

  private replace(slot: Slot, err: Error): void {
    const index = this.slots.indexOf(slot);
    if (index < 0) return;
    this.slots.splice(index, 1);
    if (slot.busy) {
      clearTimeout(slot.busy.timer);
      slot.busy.job.reject(err);
      slot.busy = null;
    }
    void slot.worker.terminate();
    if (!this.closed) this.dispatch();
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      let slot = this.slots.find((candidate) => !candidate.busy);
      if (!slot && this.slots.length < this.size) {
        slot = this.spawn();
        this.slots.push(slot);
      }
      if (!slot) return;
      const job = this.queue.shift() as PendingJob;
      const id = this.nextId++;
      const target = slot;
      const timer = setTimeout(() => this.replace(target, new Error(`sandbox job exceeded ${job.hardTimeoutMs} ms`)), job.hardTimeoutMs);
      timer.unref();
      target.busy = { id, job, timer };
      // A busy worker keeps the process alive until its answer arrives.
      target.worker.ref();
      target.worker.postMessage({ ...job.message, id });
    }
  }
}

let shared: WorkerPool | null = null;

/** The process-wide pool (created on first use). */
export function sharedPool(): WorkerPool {
  shared ??= new WorkerPool();
  return shared;
}

/** Terminates the shared pool's workers (tests and short-lived commands call this when done). */
export async function closeSharedPool(): Promise<void> {
  const pool = shared;
  shared = null;
  await pool?.close();
}

let regExpsHardened = false;
/**
 * Sandboxed code may carry a regular expression that backtracks without end ((a+)+ on "aaaa...!").
 * The vm timeout then has to stop the worker in the middle of the regexp engine, which on a busy
 * machine now and then brought the whole process down (SIGSEGV). With this V8 flag an expression that
 * backtracks too much is rerun on V8's linear-time engine instead, so it ends on its own. V8 flags
 * are process-wide and read when an expression is compiled: set once, before the first worker.
 */
function hardenRegExps(): void {
  if (regExpsHardened) return;
  regExpsHardened = true;
  setFlagsFromString("--enable-experimental-regexp-engine-on-excessive-backtracks");
}

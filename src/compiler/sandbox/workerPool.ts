import { type ChildProcess, spawn } from "node:child_process";
import type { Socket } from "node:net";
import { availableParallelism } from "node:os";
import { CHILD_SOURCE } from "./vmEvaluate.js";

/**
 * The sandbox child's command line. A heap cap: a program that allocates without end kills its
 * child, not the daemon. A program may carry a regular expression that backtracks without end
 * ((a+)+ on "aaaa...!"): with the regexp flag such an expression is rerun on V8's linear-time engine
 * instead, so it ends on its own rather than waiting for the vm timeout. Every flag is known to Node 20.
 */
const CHILD_ARGS = [
  "--max-old-space-size=256",
  "--max-semi-space-size=16",
  "--enable-experimental-regexp-engine-on-excessive-backtracks",
  "--input-type=module",
  "--eval",
  CHILD_SOURCE,
];

/** The only variables the child sees (none secret: locale, time zone, ICU data, Windows' system root). */
const CHILD_ENV_KEYS = ["TZ", "LANG", "LC_ALL", "NODE_ICU_DATA", "SystemRoot"];

/** How much of the child's stderr is kept to explain its death (V8 writes its fatal error there). */
const STDERR_TAIL = 4096;

interface PendingJob {
  message: Record<string, unknown>;
  resolve(value: unknown): void;
  reject(error: Error): void;
  hardTimeoutMs: number;
}

interface Slot {
  child: ChildProcess;
  busy: { id: number; job: PendingJob; timer: NodeJS.Timeout } | null;
  stderr: string;
}

/**
 * Warm child processes that evaluate compiled code in node:vm. They are processes, not worker
 * threads, because hostile code that hits the vm timeout or the heap cap now and then makes V8 crash
 * (SIGSEGV, a failed CHECK): in a worker thread that took the whole process down with it; here it
 * costs one child, whose job is rejected, and the child is replaced. A job that overruns its hard
 * limit (the vm timeout failed to stop it) costs its child too. Idle children are unref'd (process and
 * IPC channel): they never keep a finished CLI process alive, and after `idleMs` without work they are
 * retired, so an always-on daemon does not hold their memory between compiles.
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

  /** Starts the children now, so the first job does not pay their start-up. */
  warm(): void {
    if (this.closed) return;
    while (this.slots.length < this.size) this.slots.push(this.spawn());
  }

  /** The child count right now (tests). */
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
      for (const slot of this.slots.splice(0)) void kill(slot.child);
    }, this.idleMs);
    this.idleTimer.unref();
  }

  async close(): Promise<void> {
    this.cancelIdle();
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(new Error("worker pool is closed"));
    const slots = this.slots.splice(0);
    for (const slot of slots) {
      if (!slot.busy) continue;
      clearTimeout(slot.busy.timer);
      slot.busy.job.reject(new Error("worker pool is closed"));
      slot.busy = null;
    }
    await Promise.all(slots.map((slot) => kill(slot.child)));
  }

  private spawn(): Slot {
    const env: NodeJS.ProcessEnv = {};
    for (const key of CHILD_ENV_KEYS) if (process.env[key] !== undefined) env[key] = process.env[key];
    // JSON over IPC: the messages are JSON data (the child stringifies the inputs anyway), and it is
    // faster than "advanced" for the usual small chunk.
    const child = spawn(process.execPath, CHILD_ARGS, { env, stdio: ["ignore", "ignore", "pipe", "ipc"], serialization: "json" });
    const slot: Slot = { child, busy: null, stderr: "" };
    const stderr = child.stderr as Socket | null;
    stderr?.setEncoding("utf8");
    stderr?.on("data", (chunk: string) => (slot.stderr = (slot.stderr + chunk).slice(-STDERR_TAIL)));
    stderr?.unref();
    setIdle(child, true);
    child.on("message", (reply: { id: number; result?: unknown; error?: string }) => {
      const busy = slot.busy;
      if (!busy || busy.id !== reply.id) return;
      clearTimeout(busy.timer);
      slot.busy = null;
      setIdle(child, true);
      if (reply.error !== undefined) busy.job.reject(new Error(reply.error));
      else busy.job.resolve(reply.result);
      this.dispatch();
      this.armIdle();
    });
    child.on("error", (err) => this.replace(slot, new Error(`sandbox process failed: ${err.message}`)));
    // "close" comes after the exit and after stderr's last bytes, so the reason can be quoted.
    child.on("close", (code, signal) => this.replace(slot, new Error(describeEnd(code, signal, slot.stderr))));
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
    void kill(slot.child);
    if (!this.closed) {
      this.dispatch();
      this.armIdle();
    }
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
      const timer = setTimeout(() => this.replace(target, new Error(`sandbox job exceeded ${job.hardTimeoutMs} ms: its process was killed`)), job.hardTimeoutMs);
      timer.unref();
      target.busy = { id, job, timer };
      // A busy child keeps the process alive until its answer arrives.
      setIdle(target.child, false);
      try {
        // A child that died meanwhile makes the send fail: its "close" rejects the job.
        target.child.send({ ...job.message, id }, () => undefined);
      } catch (err) {
        // The message itself cannot be sent (not JSON: a BigInt, a cycle): the job fails, the child stays.
        clearTimeout(timer);
        target.busy = null;
        setIdle(target.child, true);
        job.reject(err instanceof Error ? err : new Error(String(err)));
      }
    }
  }
}

/** An idle child neither keeps its parent alive through its process handle nor through its IPC channel. */
function setIdle(child: ChildProcess, idle: boolean): void {
  if (idle) {
    child.unref();
    child.channel?.unref();
  } else {
    child.ref();
    child.channel?.ref();
  }
}

/** Kills the child (SIGKILL: it holds no state) and resolves once it is gone. */
function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    // An idle child is unref'd: without this, a caller awaiting close() with nothing else pending
    // would see its event loop empty before the exit arrives (Node then quits with exit code 13).
    child.ref();
    child.once("exit", () => resolve());
    if (!child.kill("SIGKILL")) resolve();
  });
}

/** Why a child ended with its job in flight, with V8's own fatal line when it wrote one. */
function describeEnd(code: number | null, signal: NodeJS.Signals | null, stderr: string): string {
  const what = signal !== null ? `sandbox process ended by ${signal}` : `sandbox process exited with code ${code}`;
  const lines = stderr.split("\n");
  const fatal = lines.find((line) => /Check failed|out of memory|FATAL ERROR/.test(line)) ?? lines.find((line) => /fatal error/i.test(line));
  return fatal ? `${what} (${fatal.trim().slice(0, 200)})` : what;
}

let shared: WorkerPool | null = null;

/** The process-wide pool (created on first use). */
export function sharedPool(): WorkerPool {
  shared ??= new WorkerPool();
  return shared;
}

/** Kills the shared pool's children (tests and short-lived commands call this when done). */
export async function closeSharedPool(): Promise<void> {
  const pool = shared;
  shared = null;
  await pool?.close();
}

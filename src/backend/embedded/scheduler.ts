import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import { jsonToConvex, type JSONValue } from "convex/values";
import { serial } from "./globals.js";
import { intervalMs, type CronsLike } from "./schema.js";
import type { RuntimeCore } from "./runtime.js";
import type { Args } from "./runtime.js";
import { SCHEDULED_TABLE } from "./store.js";

const LEASE = "scheduler";
/** The longest an idle scheduler sleeps (see Scheduler.arm). */
const IDLE_TICK_MS = 1000;

export interface SchedulerOptions {
  crons: CronsLike | null;
  runScheduled: boolean;
  tickMs: number;
  leaseMs: number;
}

/**
 * Runs scheduled functions and crons, but only in the process holding the scheduler lease row
 * (owner, leaseUntil) in the shared file. The holder renews it every tick; when it dies, another
 * process takes the row over once leaseUntil has passed. Each run happens in the function's own
 * transaction together with the bookkeeping that marks it done (a job's state, a cron's nextRun),
 * so a run is never repeated and one cron never runs twice at once.
 */
export class Scheduler {
  readonly ownerId = `${hostname()}:${process.pid}:${randomBytes(4).toString("hex")}`;
  private timer: NodeJS.Timeout | null = null;
  private leaseUntil = 0;
  /** Next runs of the crons booked in memory (see runDueCrons), while this process holds the lease. */
  private readonly nextRuns = new Map<string, number>();
  private tickQueued = false;
  private started = false;
  /** When the last tick's earliest known run is due (see arm). */
  private wakeAt = 0;
  private readonly warned = new Set<string>();

  constructor(private readonly core: RuntimeCore, private readonly opts: SchedulerOptions) {}

  private get enabled(): boolean {
    return this.opts.runScheduled || this.opts.crons !== null;
  }

  start(): void {
    if (!this.enabled) return;
    this.started = true;
    this.kick();
  }

  /**
   * The next tick: when the earliest known run is due (a cron, a scheduled job, the lease's
   * renewal), no sooner than tickMs; at the latest after IDLE_TICK_MS, which bounds how long a job
   * another process scheduled, or a lease another process let lapse, waits to be seen. An idle
   * runtime wakes about once a second instead of ten times.
   */
  private arm(): void {
    if (!this.started) return;
    if (this.timer) clearTimeout(this.timer);
    const delay = Math.min(Math.max(this.wakeAt - this.core.clock(), this.opts.tickMs), Math.max(this.opts.tickMs, IDLE_TICK_MS));
    this.timer = setTimeout(() => {
      this.timer = null;
      this.kick();
    }, delay);
    this.timer.unref();
  }

  stop(): void {
    this.started = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.leaseUntil > 0 && !this.core.closed) {
      // Hand the lease over at once on a clean shutdown.
      void serial(() => {
        if (this.core.closed) return;
        this.core.store.transaction(() => this.core.store.prepare("DELETE FROM _lease WHERE name = ? AND owner = ?").run(LEASE, this.ownerId));
        this.leaseUntil = 0;
      });
    }
  }

  isLeader(): boolean {
    return this.leaseUntil > this.core.clock();
  }

  kick(): void {
    if (!this.enabled || this.tickQueued || this.core.closed) return;
    this.tickQueued = true;
    void serial(async () => {
      this.tickQueued = false;
      try {
        await this.tickOnce();
      } catch (e) {
        this.wakeAt = 0; // try again after tickMs
        this.core.log(`embedded scheduler: ${(e as Error).message}`);
      } finally {
        this.arm();
      }
    });
  }

  /** Must run inside `serial`. */
  async tickOnce(): Promise<number> {
    this.wakeAt = Infinity;
    if (this.core.closed || !this.acquireLease()) return 0;
    // Renew the lease in time (it is renewed with half of it left).
    this.wakeAt = this.leaseUntil - this.opts.leaseMs / 2;
    let ran = 0;
    if (this.opts.runScheduled) ran += await this.runDueJobs();
    if (this.opts.crons) ran += await this.runDueCrons(this.opts.crons);
    if (this.opts.runScheduled) {
      const next = this.core.store.prepare("SELECT MIN(ts) AS ts FROM _scheduled WHERE state = 'pending'").get() as { ts: number | null };
      if (next.ts !== null) this.wakeAt = Math.min(this.wakeAt, next.ts);
    }
    return ran;
  }

  private acquireLease(): boolean {
    const now = this.core.clock();
    if (this.leaseUntil - now > this.opts.leaseMs / 2) return true;
    const store = this.core.store;
    const got = store.transaction(() => {
      const row = store.prepare("SELECT owner, leaseUntil FROM _lease WHERE name = ?").get(LEASE) as { owner: string; leaseUntil: number } | undefined;
      if (row && row.owner !== this.ownerId && row.leaseUntil > now) return false;
      store.prepare("INSERT OR REPLACE INTO _lease (name, owner, leaseUntil) VALUES (?, ?, ?)").run(LEASE, this.ownerId, now + this.opts.leaseMs);
      return true;
    });
    this.leaseUntil = got ? now + this.opts.leaseMs : 0;
    if (!got) this.nextRuns.clear(); // another process books them now
    return got;
  }

  private async runDueJobs(): Promise<number> {
    const store = this.core.store;
    const due = store
      .prepare("SELECT id, name, args FROM _scheduled WHERE state = 'pending' AND ts <= ? ORDER BY ts LIMIT 50")
      .all(this.core.clock()) as { id: string; name: string; args: string }[];
    let ran = 0;
    for (const job of due) {
      // A scheduled mutation is pending until it commits, then done: the claim commits with it (and a
      // mutation never shows "inProgress" on Convex either). Its completion time is when it ran.
      const claim = store.prepare("UPDATE _scheduled SET state = 'success', completedAt = ? WHERE id = ? AND state = 'pending'");
      const ranAt = this.core.clock();
      try {
        const out = await this.core.execute("mutation", job.name, jsonToConvex(JSON.parse(job.args)) as Args, true, () => this.claimed(Number(claim.run(ranAt, job.id).changes) === 1));
        if (out) ran++;
      } catch (e) {
        const msg = (e as Error).message ?? String(e);
        store.transaction(() => {
          store.prepare("UPDATE _scheduled SET state = 'failed', error = ?, completedAt = ? WHERE id = ? AND state = 'pending'").run(msg, this.core.clock(), job.id);
          store.bumpVersions([SCHEDULED_TABLE]);
        });
        this.core.log(`scheduled function ${job.name} failed: ${msg}`);
        ran++;
      }
    }
    return ran;
  }

  /** A job's state changed with its claim: queries of _scheduled_functions see it change. */
  private claimed(won: boolean): boolean {
    if (won) this.core.store.bumpVersions([SCHEDULED_TABLE]);
    return won;
  }

  private async runDueCrons(crons: CronsLike): Promise<number> {
    const store = this.core.store;
    let ran = 0;
    for (const [cronName, cron] of Object.entries(crons.crons)) {
      const every = intervalMs(cron.schedule);
      if (every === null || every <= 0) {
        if (!this.warned.has(cronName)) this.core.log(`cron "${cronName}": schedule type "${cron.schedule.type}" is not supported by the embedded runtime (interval only)`);
        this.warned.add(cronName);
        continue;
      }
      const now = this.core.clock();
      let nextRun = this.nextRuns.get(cronName);
      if (nextRun === undefined) {
        const row = store.prepare("SELECT nextRun FROM _crons WHERE name = ?").get(cronName) as { nextRun: number } | undefined;
        if (!row) {
          store.transaction(() => store.prepare("INSERT OR IGNORE INTO _crons (name, nextRun) VALUES (?, ?)").run(cronName, now + every));
          this.wakeAt = Math.min(this.wakeAt, now + every);
          continue;
        }
        nextRun = row.nextRun;
      }
      if (nextRun > now) {
        this.wakeAt = Math.min(this.wakeAt, nextRun);
        continue;
      }
      this.wakeAt = Math.min(this.wakeAt, now + every);
      // Skip missed runs: the next one is a full interval after this one. A cron whose interval is at
      // most half the lease keeps its next run in memory: the lease is renewed before the crons run
      // and with at least half of it left, so a process that takes it over runs the cron at the
      // earliest half a lease after this holder's last run (no interval runs twice), and an idle
      // daemon does not write the file every second to book a cron with nothing to do.
      const inMemory = every <= this.opts.leaseMs / 2;
      const claim = store.prepare("UPDATE _crons SET nextRun = ?, lastRun = ? WHERE name = ? AND nextRun <= ?");
      const book = (): boolean => {
        if (!inMemory) return Number(claim.run(now + every, now, cronName, now).changes) === 1;
        this.nextRuns.set(cronName, now + every);
        return true;
      };
      const args = (cron.args[0] ?? {}) as JSONValue;
      try {
        const out = await this.core.execute("mutation", cron.name, jsonToConvex(args) as Args, true, book);
        if (out) ran++;
      } catch (e) {
        // The failed run is booked too (outside its rolled-back transaction): the next is an interval away.
        if (inMemory) book();
        else store.transaction(book);
        this.core.log(`cron "${cronName}" (${cron.name}) failed: ${(e as Error).message}`);
        ran++;
      }
    }
    return ran;
  }
}

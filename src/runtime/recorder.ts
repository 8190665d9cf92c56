import type { CheckedTrace } from "../contract/documents.js";
import { addUsageCounts, MAX_REPORT_CHECKS, MAX_REPORT_USAGE } from "../contract/rules.js";
import type { UsageWindow } from "../contract/savings.js";

/** What one `report` mutation carries: traces, counter deltas and shadow checks, in one transaction. */
export interface Report {
  traces: CheckedTrace[];
  usage: UsageDelta[];
  checks: ShadowCheck[];
}

/** One bucket's counts in one window, added to its `usage` row by the backend (src/contract/savings.ts reads them). */
export type UsageDelta = UsageWindow;

export interface ShadowCheck {
  bucket: string;
  entryId: string;
  agree: boolean;
}

/** What the backend answered: entries the checks demoted (the runtime stops serving them at once). */
export interface ReportResult {
  demoted: string[];
}

export type SendReport = (report: Report) => Promise<ReportResult>;

/** Traces per report (the backend's batch limit) and, roughly, bytes per report. */
const MAX_TRACES = 1000;
const MAX_BYTES = 3 * 1024 * 1024;
const RETRY_MS = [50, 200, 1000];
/**
 * Traces kept in memory while the backend is unreachable, retried at every flush. Beyond this the
 * oldest are dropped (and reported): an outage must not grow the agent's memory without bound.
 */
export const MAX_PENDING_TRACES = 50_000;

interface Waiter {
  resolve: () => void;
}

/** The usage window a deferred call's trace counts in, once the trace is on its way. */
export interface DeferredCount {
  windowStart: number;
  model: string | undefined;
}

/**
 * Group commit. A deferred call's trace is durable before the call returns (kill -9 loses no trace),
 * yet 10,000 concurrent deferred calls cost a handful of transactions: every trace that arrives while
 * a report is in flight goes into the next one. Counters ride along with whatever report goes next,
 * and a timer sends them at least every `flushMs`, so a crash loses at most that window's counts.
 */
export class Recorder {
  private traces: CheckedTrace[] = [];
  private counts: Array<DeferredCount | undefined> = [];
  private waiters: Waiter[] = [];
  private checks: ShadowCheck[] = [];
  private usage = new Map<string, UsageDelta>();
  private inFlight: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly send: SendReport,
    private readonly onDemoted: (entryIds: string[]) => void,
    private readonly onError: (error: Error) => void,
    private readonly flushMs: number,
  ) {
    this.timer = setInterval(() => {
      if (this.usage.size > 0 || this.checks.length > 0 || this.traces.length > 0) this.kick();
    }, flushMs);
    this.timer.unref();
  }

  /** Resolves once the trace is committed (or, if the backend keeps failing, once that is reported). */
  trace(trace: CheckedTrace, count?: DeferredCount): Promise<void> {
    this.traces.push(trace);
    this.counts.push(count);
    const done = new Promise<void>((resolve) => this.waiters.push({ resolve }));
    this.kick();
    return done;
  }

  /**
   * A trace no caller waits for (a shadow check's): it goes with the next periodic flush instead of
   * starting a report now, so background checks do not turn into a stream of small transactions
   * beside the agent's calls.
   */
  backgroundTrace(trace: CheckedTrace): void {
    if (this.closed) return;
    this.traces.push(trace);
    this.counts.push(undefined);
    this.waiters.push({ resolve: () => undefined });
  }

  check(check: ShadowCheck): void {
    this.checks.push(check);
  }

  /** The counter row of (bucket, window), created on first use; the caller adds to it. */
  counters(bucket: string, windowStart: number, model: string | undefined): UsageDelta {
    const key = usageKey(bucket, windowStart);
    let row = this.usage.get(key);
    if (row === undefined) {
      row = { bucket, windowStart, served: 0, deferred: 0, shadowed: 0, shadowAgree: 0, tokensInAvoided: 0, tokensOutAvoided: 0, latencyMsAvoided: 0, ...(model ? { model } : {}) };
      this.usage.set(key, row);
    }
    return row;
  }

  /** Sends everything pending now and waits for it. */
  async flush(): Promise<void> {
    this.kick();
    while (this.inFlight) await this.inFlight;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
    this.closed = true;
    if (this.traces.length > 0) this.onError(new Error(`runtime: closing with ${this.traces.length} trace(s) the backend never accepted: they are lost`));
  }

  private kick(): void {
    if (this.closed) return;
    if (this.inFlight) {
      this.again = true;
      return;
    }
    this.inFlight = this.drain().finally(() => {
      this.inFlight = undefined;
    });
  }

  private async drain(): Promise<void> {
    do {
      this.again = false;
      while (this.traces.length > 0 || this.usage.size > 0 || this.checks.length > 0) {
        // A report that failed all its retries is back in the queue: the next flush tries again.
        if (!(await this.sendOne())) return;
      }
    } while (this.again);
  }

  /** Sends the next report; false when the backend refused it through every retry (it is queued again). */
  private async sendOne(): Promise<boolean> {
    let n = 0;
    let bytes = 0;
    while (n < this.traces.length && n < MAX_TRACES && (n === 0 || bytes + approximateBytes(this.traces[n]) <= MAX_BYTES)) bytes += approximateBytes(this.traces[n++]);
    const traces = this.traces.splice(0, n);
    const waiters = this.waiters.splice(0, n);
    // A deferred call is counted in the report that carries its trace: counts never run ahead of
    // the traces they count, should the process die between two reports.
    this.counts.splice(0, n).forEach((count, i) => {
      if (count) this.counters(traces[i].bucket, count.windowStart, count.model).deferred++;
    });
    // Counters and checks pile up between reports (a second's worth): at most what one report may carry.
    const usage = [...this.usage.values()].slice(0, MAX_REPORT_USAGE);
    for (const u of usage) this.usage.delete(usageKey(u.bucket, u.windowStart));
    const checks = this.checks.splice(0, MAX_REPORT_CHECKS);
    let sent = false;
    for (let attempt = 0; ; attempt++) {
      try {
        const result = await this.send({ traces, usage, checks });
        if (result.demoted.length > 0) this.onDemoted(result.demoted);
        sent = true;
        break;
      } catch (e) {
        if (attempt < RETRY_MS.length) {
          await new Promise((r) => setTimeout(r, RETRY_MS[attempt]));
          continue;
        }
        // The agent keeps its answers: the calls return, and what they recorded waits in memory for
        // the backend to come back (retried at every flush) instead of being dropped.
        const dropped = this.requeue(traces, usage, checks);
        // The same words every time the backend stays down, so a log that folds repeats folds these.
        const reason = e instanceof Error ? e.message : String(e);
        this.onError(new Error(`runtime: could not record a report (${reason}): its traces, counters and checks are kept in memory and retried at each flush`));
        if (dropped > 0) this.onError(new Error(`runtime: dropped the ${dropped} oldest unrecorded trace(s): more than ${MAX_PENDING_TRACES} were waiting for the backend`));
        break;
      }
    }
    for (const w of waiters) w.resolve();
    return sent;
  }

  /** Puts a failed report back in front of the queue (its deferred calls are already in its counters); returns how many traces were dropped to stay bounded. */
  private requeue(traces: CheckedTrace[], usage: UsageDelta[], checks: ShadowCheck[]): number {
    // Their callers were answered already: no waiter to resolve, but the queues stay aligned by index.
    this.traces.unshift(...traces);
    this.counts.unshift(...traces.map(() => undefined));
    this.waiters.unshift(...traces.map(() => ({ resolve: () => undefined })));
    this.checks.unshift(...checks);
    for (const u of usage) addUsageCounts(this.counters(u.bucket, u.windowStart, u.model), u);
    const excess = this.traces.length - MAX_PENDING_TRACES;
    if (excess <= 0) return 0;
    // The oldest go first; any caller still waiting on one of them is answered now.
    this.traces.splice(0, excess);
    this.counts.splice(0, excess);
    for (const w of this.waiters.splice(0, excess)) w.resolve();
    return excess;
  }
}

function approximateBytes(trace: CheckedTrace): number {
  // Only to split reports below the backend's byte limit; input and output dominate.
  return 200 + JSON.stringify(trace.input ?? null).length + JSON.stringify(trace.output ?? null).length;
}

const usageKey = (bucket: string, windowStart: number): string => `${windowStart}\u0000${bucket}`;

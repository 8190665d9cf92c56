import { convexToJson } from "convex/values";
import { serial } from "./globals.js";
import type { Args, RuntimeCore } from "./runtime.js";

/** After this many polls without another process's commit, poll every QUIET_POLL_MS. */
const QUIET_POLLS = 40;
const QUIET_POLL_MS = 250;

interface Sub {
  name: string;
  args: Args;
  allowInternal: boolean;
  onResult: (result: unknown) => void;
  onError?: (error: Error) => void;
  tables: Set<string>;
  last: string | undefined;
  queued: boolean;
  closed: boolean;
}

/**
 * Live queries. A query re-runs after a commit that wrote a table it read: commits in this process
 * report their written tables directly; commits by other processes sharing the file are noticed by
 * polling `PRAGMA data_version` (only while there are subscriptions), then the per-table version rows
 * say which tables changed. Callbacks fire only when the result's canonical JSON changed.
 */
export class Subscriptions {
  private readonly subs = new Set<Sub>();
  private timer: NodeJS.Timeout | null = null;
  /** Whether other processes' commits are being polled for (there are subscriptions). */
  private polling = false;
  private dataVersion = -1;
  private versions = new Map<string, number>();
  private pollQueued = false;
  /** Polls in a row that found no other process's commit. */
  private quietPolls = 0;

  constructor(private readonly core: RuntimeCore, private readonly pollMs: number) {}

  add(name: string, args: Args, onResult: (r: unknown) => void, onError: ((e: Error) => void) | undefined, allowInternal: boolean): () => void {
    const sub: Sub = { name, args, allowInternal, onResult, onError, tables: new Set(), last: undefined, queued: false, closed: false };
    this.subs.add(sub);
    this.startPolling();
    this.refresh(sub);
    return () => {
      sub.closed = true;
      this.subs.delete(sub);
      if (this.subs.size === 0) this.stop();
    };
  }

  afterCommit(written: Set<string>): void {
    if (this.subs.size === 0) return;
    if (this.polling) this.versions = this.core.store.versions();
    this.invalidate(written);
  }

  private invalidate(changed: Set<string>): void {
    for (const sub of this.subs) {
      for (const t of sub.tables) {
        if (changed.has(t)) {
          this.refresh(sub);
          break;
        }
      }
    }
  }

  private refresh(sub: Sub): void {
    if (sub.queued) return;
    sub.queued = true;
    void serial(async () => {
      sub.queued = false;
      if (sub.closed || this.core.closed) return;
      try {
        const out = await this.core.execute("query", sub.name, sub.args, sub.allowInternal);
        if (!out || sub.closed) return;
        sub.tables = out.exec.readTables;
        const json = JSON.stringify(convexToJson(out.result));
        if (json === sub.last) return;
        sub.last = json;
        deliver(() => sub.onResult(out.result));
      } catch (e) {
        sub.last = undefined;
        const err = e instanceof Error ? e : new Error(String(e));
        deliver(() => (sub.onError ? sub.onError(err) : this.core.log(`subscription ${sub.name} failed: ${err.message}`)));
      }
    });
  }

  private startPolling(): void {
    if (this.polling || this.core.closed) return;
    this.polling = true;
    this.quietPolls = 0;
    this.armPoll();
    void serial(() => {
      if (this.core.closed) return;
      this.dataVersion = this.core.store.dataVersion();
      this.versions = this.core.store.versions();
    });
  }

  /**
   * The next poll: every pollMs while other processes write, slowing to QUIET_POLL_MS after
   * QUIET_POLLS polls saw nothing (an idle file: a console and a daemon that both wait do not
   * wake ~20 times a second each); the first change seen brings the pace back.
   */
  private armPoll(): void {
    if (!this.polling) return;
    if (this.timer) clearTimeout(this.timer); // one chain of polls, however polling restarted
    const delay = this.quietPolls < QUIET_POLLS ? this.pollMs : Math.max(this.pollMs, QUIET_POLL_MS);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.poll();
    }, delay);
    this.timer.unref();
  }

  private poll(): void {
    if (this.pollQueued) return;
    this.pollQueued = true;
    void serial(() => {
      this.pollQueued = false;
      if (this.core.closed || this.subs.size === 0) {
        this.polling = false;
        return;
      }
      this.armPoll();
      const dv = this.core.store.dataVersion();
      if (dv === this.dataVersion) {
        this.quietPolls++;
        return;
      }
      this.quietPolls = 0;
      this.dataVersion = dv;
      const next = this.core.store.versions();
      const changed = new Set<string>();
      for (const [t, v] of next) if (this.versions.get(t) !== v) changed.add(t);
      this.versions = next;
      if (changed.size > 0) this.invalidate(changed);
    });
  }

  stop(): void {
    this.polling = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

function deliver(fn: () => void): void {
  try {
    fn();
  } catch (e) {
    console.error("subscription callback threw:", e);
  }
}

/**
 * Logs a repeated message once with a count instead of every time. A daemon whose disk is full
 * fails the same way on every scheduler tick, heartbeat and job poll (several times a second); its
 * log should say so once, then how often it happened, not bury everything else.
 *
 * The first occurrence of a message is written at once. Later identical ones (same key) are only
 * counted, and the count is written as "(repeated N times)" when a different message first appears,
 * when `intervalMs` has passed (so a lasting failure still shows up once per interval), or on flush().
 * A message quiet for a whole interval is forgotten: its next occurrence is written in full again.
 * Several distinct messages can be counted at once (a full disk fails in more than one place).
 *
 * In backend/ so that the embedded runtime's own log and the worker's logger can both use it.
 */
export interface RepeatOptions {
  /** How often a still-repeating message's count is written. Default 30 s. */
  intervalMs?: number;
  /** At most this many distinct messages are tracked; the oldest is flushed and dropped beyond. Default 64. */
  maxKeys?: number;
  now?: () => number;
}

interface Tracked<T> {
  item: T;
  /** Occurrences since it was last written. */
  count: number;
  /** When it (or its count) was last written. */
  since: number;
}

export class RepeatCollapser<T> {
  private readonly tracked = new Map<string, Tracked<T>>();
  private timer: NodeJS.Timeout | undefined;
  private readonly intervalMs: number;
  private readonly maxKeys: number;
  private readonly now: () => number;

  /**
   * `emit(item, 0)` writes a first occurrence; `emit(item, n)` with n > 0 writes that `item` happened
   * n more times since it was last written.
   */
  constructor(
    private readonly emit: (item: T, repeated: number) => void,
    private readonly key: (item: T) => string,
    opts: RepeatOptions = {},
  ) {
    this.intervalMs = opts.intervalMs ?? 30_000;
    this.maxKeys = opts.maxKeys ?? 64;
    this.now = opts.now ?? Date.now;
  }

  push(item: T): void {
    const k = this.key(item);
    const now = this.now();
    const seen = this.tracked.get(k);
    if (seen && now - seen.since < this.intervalMs) {
      seen.count++;
      seen.item = item;
      this.arm();
      return;
    }
    if (seen) {
      // An interval passed since it was last written: write the count (if any), then this one.
      this.tracked.delete(k);
      if (seen.count > 0) this.emit(seen.item, seen.count);
      if (seen.count > 0) {
        this.tracked.set(k, { item, count: 1, since: now });
        this.arm();
        return;
      }
    } else {
      // A new message: whatever was counted so far is written first, so the log keeps its order.
      this.flushCounts();
    }
    this.emit(item, 0);
    this.tracked.set(k, { item, count: 0, since: now });
    while (this.tracked.size > this.maxKeys) {
      const [oldest, t] = this.tracked.entries().next().value as [string, Tracked<T>];
      this.tracked.delete(oldest);
      if (t.count > 0) this.emit(t.item, t.count);
    }
    this.arm();
  }

  /** Writes every pending count now (on shutdown, so no count is lost). */
  flush(): void {
    this.flushCounts();
    this.tracked.clear();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private flushCounts(): void {
    const now = this.now();
    for (const t of this.tracked.values()) {
      if (t.count === 0) continue;
      this.emit(t.item, t.count);
      t.count = 0;
      t.since = now;
    }
  }

  /** One timer while anything is tracked: writes due counts and forgets messages quiet for an interval. */
  private arm(): void {
    if (this.timer || this.tracked.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const now = this.now();
      for (const [k, t] of this.tracked) {
        if (now - t.since < this.intervalMs) continue;
        if (t.count > 0) {
          this.emit(t.item, t.count);
          t.count = 0;
          t.since = now;
        } else {
          this.tracked.delete(k);
        }
      }
      this.arm();
    }, this.intervalMs);
    this.timer.unref();
  }
}

/** " (repeated 12 times)": the suffix a collapsed line carries. */
export function repeatedSuffix(n: number): string {
  return ` (repeated ${n} time${n === 1 ? "" : "s"})`;
}

/** A line logger (console.error-like) that writes repeated lines once with a count. */
export function collapseRepeatedLines(write: (line: string) => void, opts: RepeatOptions = {}): { log: (line: string) => void; flush: () => void } {
  const c = new RepeatCollapser<string>((line, n) => write(n === 0 ? line : `${line}${repeatedSuffix(n)}`), (line) => line, opts);
  return { log: (line) => c.push(line), flush: () => c.flush() };
}

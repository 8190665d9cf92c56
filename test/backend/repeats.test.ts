import { afterEach, describe, expect, it, vi } from "vitest";
import { collapseRepeatedLines, RepeatCollapser } from "../../src/backend/repeats.js";
import { createLogger } from "../../src/worker/log.js";
import { openApp, tempDb } from "./fixtures/open.js";

afterEach(() => vi.useRealTimers());

function sink(): { lines: string[]; write: (l: string) => void } {
  const lines: string[] = [];
  return { lines, write: (l) => lines.push(l) };
}

describe("repeated identical messages are logged once with a count", () => {
  it("writes the first, counts the rest, and writes the count when another message appears", () => {
    const s = sink();
    const log = collapseRepeatedLines(s.write, { now: () => 0 });
    for (let i = 0; i < 40; i++) log.log("database or disk is full");
    expect(s.lines).toEqual(["database or disk is full"]);
    log.log("something else");
    expect(s.lines).toEqual(["database or disk is full", "database or disk is full (repeated 39 times)", "something else"]);
    log.flush();
    expect(s.lines).toHaveLength(3); // nothing pending
  });

  it("a lasting failure writes its count once per interval; one quiet for an interval is written whole again", () => {
    vi.useFakeTimers();
    const s = sink();
    const log = collapseRepeatedLines(s.write, { intervalMs: 10_000, now: () => Date.now() });
    // Four times a second for 25 s.
    for (let i = 0; i < 100; i++) {
      log.log("full");
      vi.advanceTimersByTime(250);
    }
    expect(s.lines[0]).toBe("full");
    expect(s.lines.slice(1).every((l) => /^full \(repeated \d+ times\)$/.test(l))).toBe(true);
    // One line, then a count about every 10 s: not 100 lines.
    expect(s.lines.length).toBeGreaterThanOrEqual(2);
    expect(s.lines.length).toBeLessThanOrEqual(4);
    vi.advanceTimersByTime(30_000);
    const total = s.lines.slice(1).reduce((n, l) => n + Number(/repeated (\d+)/.exec(l)![1]), 0);
    expect(total).toBe(99); // every occurrence but the first is counted, none twice
    vi.advanceTimersByTime(30_000);
    log.log("full");
    expect(s.lines.at(-1)).toBe("full");
  });

  it("interleaved messages (a full disk fails in several places) are each counted", () => {
    const s = sink();
    const c = new RepeatCollapser<string>((m, n) => s.write(n ? `${m} x${n}` : m), (m) => m, { now: () => 0 });
    for (let i = 0; i < 10; i++) {
      c.push("heartbeat: full");
      c.push("scheduler: full");
    }
    expect(s.lines).toEqual(["heartbeat: full", "scheduler: full"]);
    c.flush();
    expect(s.lines.slice(2)).toEqual(["heartbeat: full x9", "scheduler: full x9"]);
  });

  it("the daemon's logger collapses error events: NDJSON gets `repeated`, pretty lines a suffix", () => {
    const out: string[] = [];
    const stream = { write: (c: string) => (out.push(c), true) } as unknown as NodeJS.WritableStream;
    const nd = createLogger({ format: "ndjson", out: stream, err: stream });
    for (let i = 0; i < 4; i++) nd.event({ type: "error", message: "database or disk is full" });
    nd.event({ type: "job", phase: "failed" });
    nd.flush?.();
    const lines = out.join("").trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    // The job line is not an error: the count waits for the next error or the flush.
    expect(lines.map((l) => [l.type, l.message, l.repeated])).toEqual([
      ["error", "database or disk is full", undefined],
      ["job", undefined, undefined],
      ["error", "database or disk is full", 3],
    ]);
    out.length = 0;
    const pretty = createLogger({ format: "pretty", out: stream, err: stream, color: false });
    for (let i = 0; i < 3; i++) pretty.event({ type: "error", message: "disk full" });
    pretty.flush?.();
    expect(out.join("")).toMatch(/error +message=disk full\n.*error +message=disk full \(repeated 2 times\)\n$/);
  });

  it("flush writes a pending count (the daemon flushes on stop)", () => {
    const out: string[] = [];
    const stream = { write: (c: string) => (out.push(c), true) } as unknown as NodeJS.WritableStream;
    const nd = createLogger({ format: "ndjson", out: stream, err: stream });
    for (let i = 0; i < 5; i++) nd.event({ type: "error", message: "boom" });
    expect(out).toHaveLength(1);
    nd.flush?.();
    expect(JSON.parse(out[1])).toMatchObject({ type: "error", message: "boom", repeated: 4 });
  });

  it("pretty lines escape control characters in bucket keys and details", () => {
    const out: string[] = [];
    const stream = { write: (c: string) => (out.push(c), true) } as unknown as NodeJS.WritableStream;
    const pretty = createLogger({ format: "pretty", out: stream, err: stream, color: false });
    pretty.event({ type: "trigger", kind: "TRIGGER:VOLUME", bucket: "acme:\x1b[2Jx:v1", detail: "a\nb" });
    expect(out.join("")).toContain("acme:\\x1b[2Jx:v1 a\\nb");
    expect(out.join("")).not.toContain("\x1b");
  });

  it("the embedded runtime's own log (scheduler, crons) collapses a failure repeated every tick", async () => {
    const db = tempDb();
    const lines: string[] = [];
    const rt = openApp(db.path, {
      // A cron whose function does not exist fails the same way on every run.
      crons: { crons: { broken: { name: "app:doesNotExist", args: [{}], schedule: { type: "interval", seconds: 0.02 } } } },
      runCrons: true,
      tickMs: 10,
      log: (m) => lines.push(m),
    });
    await new Promise((r) => setTimeout(r, 600));
    const during = lines.length;
    await rt.close();
    db.cleanup();
    expect(during).toBe(1);
    expect(lines[0]).toMatch(/cron "broken" \(app:doesNotExist\) failed/);
    expect(lines[1]).toMatch(/^cron "broken" .* \(repeated \d+ times\)$/);
    expect(Number(/repeated (\d+)/.exec(lines[1])![1])).toBeGreaterThan(5);
  });
});

import { afterEach, expect, it } from "vitest";
import { MAX_REPORT_CHECKS, MAX_REPORT_USAGE } from "../../src/contract/rules.js";
import { Recorder, type Report } from "../../src/runtime/recorder.js";

/** The recorder alone, against a backend that only collects what it is sent. */
let recorder: Recorder | undefined;
afterEach(async () => {
  await recorder?.close();
  recorder = undefined;
});

const trace = (i: number) => ({ bucket: "acme:a:v1", input: { i }, output: i, model: "m", latencyMs: 1, tokensIn: 1, tokensOut: 1, ts: i });

function collecting(flushMs = 60_000) {
  const reports: Report[] = [];
  recorder = new Recorder(
    async (report) => {
      reports.push(report);
      return { demoted: [] };
    },
    () => undefined,
    (e) => {
      throw e;
    },
    flushMs,
  );
  return { reports, recorder };
}

it("splits what piled up between reports into reports the backend accepts, losing nothing", async () => {
  const { reports, recorder: r } = collecting();
  const checks = MAX_REPORT_CHECKS * 2 + 7;
  const windows = MAX_REPORT_USAGE + 13;
  for (let i = 0; i < checks; i++) r.check({ bucket: "acme:a:v1", entryId: "e", agree: i % 3 !== 0 });
  for (let w = 0; w < windows; w++) r.counters("acme:a:v1", w * 60_000, undefined).served += 2;
  await r.flush();
  expect(reports.length).toBeGreaterThanOrEqual(3);
  for (const report of reports) {
    expect(report.checks.length).toBeLessThanOrEqual(MAX_REPORT_CHECKS);
    expect(report.usage.length).toBeLessThanOrEqual(MAX_REPORT_USAGE);
  }
  expect(reports.reduce((n, x) => n + x.checks.length, 0)).toBe(checks);
  const usage = reports.flatMap((x) => x.usage);
  expect(new Set(usage.map((u) => u.windowStart)).size).toBe(windows);
  expect(usage.reduce((n, u) => n + u.served, 0)).toBe(windows * 2);
});

it("a background trace (a shadow check's) waits for the periodic flush; a waited-for trace is sent at once and carries it along", async () => {
  const { reports, recorder: r } = collecting();
  r.backgroundTrace(trace(1));
  r.backgroundTrace(trace(2));
  await new Promise((resolve) => setImmediate(resolve));
  expect(reports).toEqual([]);
  await r.trace(trace(3));
  expect(reports).toHaveLength(1);
  expect(reports[0].traces.map((t) => t.ts)).toEqual([1, 2, 3]);
});

it("the timer sends background traces on its own", async () => {
  const { reports, recorder: r } = collecting(20);
  r.backgroundTrace(trace(1));
  for (let i = 0; i < 500 && reports.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(reports.flatMap((x) => x.traces.map((t) => t.ts))).toEqual([1]);
});

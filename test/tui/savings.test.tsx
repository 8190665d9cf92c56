import { cleanup } from "ink-testing-library";
import { afterEach, describe, expect, test } from "vitest";
import { computeSavings, type SavingsFigures, type UsageWindow } from "../../src/contract/savings.js";
import type { UsageRow } from "../../src/tui/data.js";
import { compactCount, latency, money, savingsOf } from "../../src/tui/components/SavingsPane.js";
import { layout } from "../../src/tui/App.js";
import * as fx from "./fixtures.js";
import { renderApp, waitForFrame } from "./helpers.js";

afterEach(() => cleanup());

const windows = (rows: typeof fx.usage): UsageWindow[] => rows.map(({ _id: _i, _creationTime: _c, ...w }) => w);

/** The first line of the frame that holds `text` (from the line holding `after` on). */
function lineWith(frame: string, text: string, after?: string): string {
  const lines = frame.split("\n");
  const from = after === undefined ? 0 : lines.findIndex((l) => l.includes(after));
  const line = lines.slice(Math.max(0, from)).find((l) => l.includes(text));
  if (line === undefined) throw new Error(`no line with ${JSON.stringify(text)} in:\n${frame}`);
  return line;
}

/** The figures of a bucket or total line, in the pane's order, as the pane formats them. */
function expectedCells(f: SavingsFigures): string[] {
  return [
    f.served.toLocaleString("en-US"),
    f.deferred.toLocaleString("en-US"),
    f.coverage === undefined ? "--" : f.coverage.toFixed(2),
    f.shadowAgreement === undefined ? "--" : `${f.shadowAgreement.rate.toFixed(2)}/${f.shadowAgreement.checks}`,
    compactCount(f.tokensInAvoided + f.tokensOutAvoided),
    money(f.moneyAvoidedUsd),
    latency(f.latencyMsAvoided),
  ];
}

describe("savings pane", () => {
  test("a line per bucket and a total line, the figures computeSavings gives on the same rows", async () => {
    // From 36 rows the pane has room for both buckets (at 30, for the busiest one).
    const { frame } = await renderApp({ columns: 100, rows: 36 });
    const f = frame();
    if (process.env.SHOW_FRAME) console.log(f);
    const report = computeSavings(windows(fx.usage), new Map([["acme:extract_company:v1", {}], ["acme:normalize_country:v1", {}]]));
    expect(lineWith(f, "Savings")).toContain("2 buckets · 1 unpriced");
    const total = lineWith(f, "Σ total").split(/\s+/).filter((c) => c && c !== "│" && c !== "┃");
    expect(total.slice(-7)).toEqual(expectedCells(report.total));
    // 80 served of 89 calls; 3 shadow checks, all agreeing; one bucket without a price: unknown, never $0.
    expect(total.slice(-7).slice(0, 4)).toEqual(["80", "9", "0.90", "1.00/3"]);
    expect(report.total.moneyAvoidedUsd).toBe("unknown");
    expect(total).toContain("unknown");
    for (const b of report.buckets) {
      const cells = lineWith(f, b.bucket.slice(0, 20), "Savings").split(/\s+/).filter((c) => c && c !== "│" && c !== "┃");
      expect(cells.slice(-7), b.bucket).toEqual(expectedCells(b));
    }
    // The priced bucket's money is a real figure.
    const priced = report.buckets.find((b) => b.bucket === "acme:extract_company:v1");
    expect(typeof priced?.moneyAvoidedUsd).toBe("number");
    expect(lineWith(f, "acme:extract_company", "Savings")).toContain(money(priced!.moneyAvoidedUsd));
  });

  test("the pane follows the usage query: new rows change the totals, a model from the buckets query prices a bucket", async () => {
    const app = await renderApp({ columns: 120, rows: 40 });
    const rows = [
      ...fx.usage.map((r) => (r.bucket === "acme:normalize_country:v1" ? r : { ...r })),
      { ...fx.usage[0], _id: "u9", windowStart: fx.usage[0].windowStart + 60_000, served: 20, deferred: 0, shadowed: 0, shadowAgree: 0 },
    ];
    app.client.push("daemon/runtime:usage", rows);
    await waitForFrame(app, " 100 ");
    // normalize_country's traces are gpt-4o-mini's: now every bucket is priced, so the total is money.
    app.client.push("daemon/ingest:buckets", { ...fx.buckets, buckets: [...fx.buckets.buckets, { _id: "b9", _creationTime: 0, key: "acme:normalize_country:v1", count: 16, sinceCompile: 0, lastTraceAt: 0, model: "gpt-4o-mini" }] });
    const expected = savingsOf(rows as unknown as UsageRow[], { threshold: 30, buckets: [{ _id: "b9", _creationTime: 0, key: "acme:normalize_country:v1", count: 16, sinceCompile: 0, lastTraceAt: 0, model: "gpt-4o-mini" }] } as never);
    expect(typeof expected.total.moneyAvoidedUsd).toBe("number");
    await waitForFrame(app, money(expected.total.moneyAvoidedUsd));
    const total = lineWith(app.frame(), "Σ total");
    expect(total).not.toContain("unknown");
    expect(total).toContain(money(expected.total.moneyAvoidedUsd));
  });

  test("at 100x30 the busiest bucket and the total line, the vault keeping 4 entries and the stream 7 rows", async () => {
    const app = await renderApp({ columns: 100, rows: 30 });
    const f = app.frame();
    if (process.env.SHOW_FRAME) console.log(f);
    expect(lineWith(f, "Savings")).toContain("2 buckets · top 1 by calls · 1 unpriced");
    expect(lineWith(f, "acme:extract_company", "Savings")).toMatch(/\b70\s+3\s+0\.96\s+1\.00\/3\b/);
    expect(lineWith(f, "Σ total")).toMatch(/\b80\s+9\s+0\.90\s+1\.00\/3\b.*unknown/);
    for (const text of ["◆ BOOT", "acme:classify_lead_tier:v1 … waiting"]) expect(f).toContain(text);
  });

  test("at 80x24 a one-line total that fits", async () => {
    const app = await renderApp({ columns: 80, rows: 24 });
    expect(layout(80, 24).savingsHeight).toBe(1);
    const line = lineWith(app.frame(), "Σ");
    expect([...line].length).toBeLessThanOrEqual(80);
    expect(line).toMatch(/80 served · 9 deferred/);
    expect(line).toContain("unknown");
  });

  test("before the first result it waits; without runtime traffic it says so", async () => {
    const data = fx.fullData();
    delete data["daemon/runtime:usage"];
    const app = await renderApp({ data, columns: 100, rows: 30 });
    expect(lineWith(app.frame(), "Savings")).toBeDefined();
    app.client.push("daemon/runtime:usage", []);
    await waitForFrame(app, "no calls through the runtime yet");
  });

  test("every layout from 80x24 up keeps the frame to the terminal's size", async () => {
    for (const [columns, rows] of [[80, 24], [100, 30], [140, 45]] as const) {
      const app = await renderApp({ columns, rows });
      const ls = app.frame().split("\n");
      expect(ls, `${columns}x${rows}`).toHaveLength(rows);
      for (const l of ls) expect([...l].length, `${columns}x${rows}`).toBeLessThanOrEqual(columns);
      expect(app.frame()).toContain("Σ");
      app.unmount();
    }
  });
});

import React from "react";
import { Text } from "ink";
import { computeSavings, type BucketInfo, type SavingsFigures, type SavingsReport } from "../../contract/savings.js";
import type { Usd } from "../../contract/prices.js";
import { USAGE_LIMIT, type BucketsView, type UsageRow } from "../data.js";
import { fit, fitRight } from "../format.js";
import { useTheme } from "../theme.js";
import { longest } from "./HeartbeatPane.js";
import { Pane, innerHeight, innerWidth } from "./Pane.js";

/**
 * The savings report of the usage rows the console holds, each bucket priced by the model of its
 * traces (the buckets query), with the table's default prices: `compile-daemon savings --price`
 * is where prices are overridden. Compile cost is not part of the pane (the command has it).
 */
export function savingsOf(rows: readonly UsageRow[], buckets: BucketsView | undefined): SavingsReport {
  const models = new Map((buckets?.buckets ?? []).map((b) => [b.key, b.model]));
  const info = new Map<string, BucketInfo>();
  for (const r of rows) {
    const model = models.get(r.bucket);
    if (!info.has(r.bucket)) info.set(r.bucket, model === undefined ? {} : { model });
  }
  // A usage row is a UsageWindow (plus its id fields): computeSavings reads it as it is.
  return computeSavings(rows, info);
}

/** "$1.23", "$0.0123" (three significant digits below a dollar: a call costs a fraction of a cent), "unknown". */
export function money(x: Usd): string {
  if (x === "unknown") return "unknown";
  if (!Number.isFinite(x)) return "?";
  if (x === 0) return "$0.00";
  if (x >= 0.995) return `$${x.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
  const decimals = Math.min(8, Math.max(2, 2 - Math.floor(Math.log10(x))));
  return `$${x.toFixed(decimals)}`;
}

/** "950", "12.3k", "4.56M": token counts in little room. */
export function compactCount(n: number): string {
  const x = Math.round(n);
  if (x < 1000) return String(x);
  if (x < 1e6) return `${(x / 1e3).toFixed(x < 1e4 ? 2 : 1)}k`;
  if (x < 1e9) return `${(x / 1e6).toFixed(x < 1e7 ? 2 : 1)}M`;
  return `${(x / 1e9).toFixed(1)}G`;
}

/** "480ms", "12.4s", "4m05s", "2h03m". */
export function latency(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return "0ms";
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

function coverage(f: SavingsFigures): string {
  return f.coverage === undefined ? "--" : f.coverage.toFixed(2);
}

function agreement(f: SavingsFigures): string {
  return f.shadowAgreement === undefined ? "--" : `${f.shadowAgreement.rate.toFixed(2)}/${f.shadowAgreement.checks}`;
}

const COLUMNS = [
  { key: "served", width: 7 },
  { key: "defer", width: 6 },
  { key: "cover", width: 5 },
  { key: "agree", width: 9 },
  { key: "tokens", width: 7 },
  { key: "saved", width: 9 },
  { key: "latency", width: 7 },
] as const;
const FIXED = COLUMNS.reduce((n, c) => n + c.width + 1, 0);

function figureCells(f: SavingsFigures): string[] {
  const cells = [
    f.served.toLocaleString("en-US"),
    f.deferred.toLocaleString("en-US"),
    coverage(f),
    agreement(f),
    compactCount(f.tokensInAvoided + f.tokensOutAvoided),
    money(f.moneyAvoidedUsd),
    latency(f.latencyMsAvoided),
  ];
  return cells.map((c, i) => fitRight(c, COLUMNS[i].width));
}

/** The one-line total the smallest layout shows, in the longest form that fits `width`. */
export function totalLine(report: SavingsReport, width: number): string {
  const t = report.total;
  const tokens = compactCount(t.tokensInAvoided + t.tokensOutAvoided);
  const agree = t.shadowAgreement === undefined ? "" : ` · agree ${agreement(t)}`;
  return longest(
    [
      `Σ savings: served ${t.served.toLocaleString("en-US")} · deferred ${t.deferred.toLocaleString("en-US")} · coverage ${coverage(t)}${agree} · ${tokens} tokens · ${money(t.moneyAvoidedUsd)} · ${latency(t.latencyMsAvoided)} saved`,
      `Σ saved: ${t.served.toLocaleString("en-US")} served · ${t.deferred.toLocaleString("en-US")} deferred · cov ${coverage(t)}${agree} · ${tokens} tok · ${money(t.moneyAvoidedUsd)} · ${latency(t.latencyMsAvoided)}`,
      `Σ ${t.served} served · ${t.deferred} deferred · ${tokens} tok · ${money(t.moneyAvoidedUsd)} · ${latency(t.latencyMsAvoided)}`,
    ],
    width,
  );
}

export interface SavingsPaneProps {
  usage: readonly UsageRow[] | undefined;
  buckets: BucketsView | undefined;
  width: number;
  /** 1: the compact one-line total (small terminals); more: a pane with a line per bucket and a total line. */
  height: number;
}

export function SavingsPane({ usage, buckets, width, height }: SavingsPaneProps): React.JSX.Element {
  const theme = useTheme();
  let report: SavingsReport | undefined;
  let problem: string | undefined;
  if (usage) {
    try {
      report = savingsOf(usage, buckets);
    } catch (e) {
      // A row that breaks the counting rules is a bug upstream: said, not summed.
      problem = e instanceof Error ? e.message : String(e);
    }
  }
  const empty = report !== undefined && report.buckets.length === 0;

  if (height <= 1) {
    return (
      <Text wrap="truncate" color={theme.color(problem ? "red" : undefined)} dimColor={!report || empty}>
        {fit(
          problem ? `Σ savings: ✗ ${problem}` : !report ? "Σ savings: waiting…" : empty ? "Σ savings: no calls through the runtime yet" : totalLine(report, width),
          width,
        )}
      </Text>
    );
  }

  const w = innerWidth(width);
  const bucketWidth = Math.max(4, w - FIXED);
  const list = report ? [...report.buckets].sort((a, b) => b.calls - a.calls || a.bucket.localeCompare(b.bucket)) : [];
  const room = Math.max(0, innerHeight(height) - 2);
  const shown = list.slice(0, room);
  const unpriced = report?.total.unpricedBuckets.length ?? 0;
  const notes = [
    report ? `${list.length} bucket${list.length === 1 ? "" : "s"}` : undefined,
    list.length > shown.length ? `top ${shown.length} by calls` : undefined,
    unpriced ? `${unpriced} unpriced` : undefined,
    usage && usage.length >= USAGE_LIMIT ? `newest ${USAGE_LIMIT} windows` : undefined,
  ].filter((n): n is string => n !== undefined);
  const header = [fit("bucket", bucketWidth, true), ...COLUMNS.map((c) => c.key.padStart(c.width))].join(" ");

  return (
    <Pane title="Savings" note={notes.join(" · ") || undefined} width={width} height={height}>
      <Text bold underline={!theme.noColor} wrap="truncate">
        {header}
      </Text>
      {problem && (
        <Text color={theme.color("red")} wrap="truncate">
          ✗ {fit(problem, w - 2)}
        </Text>
      )}
      {!usage && <Text dimColor>waiting…</Text>}
      {empty && <Text dimColor>no calls through the runtime yet: served and deferred calls show here</Text>}
      {shown.map((b) => (
        <FigureRow key={b.bucket} name={b.bucket} figures={b} bucketWidth={bucketWidth} />
      ))}
      {report && !empty && <FigureRow name="Σ total" figures={report.total} bucketWidth={bucketWidth} total />}
    </Pane>
  );
}

function FigureRow({ name, figures, bucketWidth, total = false }: { name: string; figures: SavingsFigures; bucketWidth: number; total?: boolean }): React.JSX.Element {
  const theme = useTheme();
  const cells = figureCells(figures);
  const unknown = figures.moneyAvoidedUsd === "unknown";
  return (
    <Text bold={total} wrap="truncate">
      <Text>{fit(name, bucketWidth, true)} </Text>
      <Text>{cells.slice(0, 5).join(" ")} </Text>
      <Text color={theme.color(unknown ? "yellow" : "green")}>{cells[5]}</Text>
      <Text> {cells[6]}</Text>
    </Text>
  );
}

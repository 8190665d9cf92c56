import { printableValue } from "../backend/printable.js";
import type { SavingsFigures, SavingsReport, Usd } from "../contract/savings.js";

/**
 * Dollars for people: cents from $1 up, three significant digits below (a call costs a fraction of a
 * cent, and "$0.00" would read as free), "unknown" as it is.
 */
export function formatUsd(x: Usd): string {
  if (x === "unknown") return "unknown";
  if (!Number.isFinite(x)) throw new RangeError(`not a sum of money: ${x}`);
  const sign = x < 0 ? "-" : "";
  const abs = Math.abs(x);
  if (abs === 0) return "$0.00";
  if (abs >= 0.995) return `${sign}$${abs.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
  const decimals = Math.min(20, Math.max(2, 2 - Math.floor(Math.log10(abs))));
  return `${sign}$${abs.toFixed(decimals)}`;
}

/**
 * The savings table as plain aligned text (the layout of `vault list`: a header, a dashed rule, two
 * spaces between columns, cells escaped for the terminal), then the total line and notes.
 */
export function formatSavingsTable(report: SavingsReport): string {
  if (report.buckets.length === 0) return "(none)\n";
  const lines = [...report.buckets.map((b) => cells(b, b.bucket, b.models.join(",") || "-")), cells(report.total, "total", "")];
  const header = Object.keys(lines[0]);
  const body = lines.map((l) => header.map((k) => printableValue(l[k])));
  const widths = header.map((h, i) => body.reduce((w, row) => Math.max(w, row[i].length), h.length));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(widths[i])).join("  ").trimEnd() + "\n";
  const rule = line(widths.map((w) => "-".repeat(w)));
  const bucketLines = body.slice(0, -1).map(line).join("");
  return line(header) + rule + bucketLines + rule + line(body[body.length - 1]) + notes(report);
}

function cells(f: SavingsFigures, bucket: string, model: string): Record<string, string> {
  return {
    bucket,
    model,
    calls: count(f.calls),
    served: count(f.served),
    coverage: f.coverage === undefined ? "-" : f.coverage.toFixed(3),
    shadowed: count(f.shadowed),
    agree: f.shadowAgreement === undefined ? "-" : `${f.shadowAgreement.rate.toFixed(3)} of ${count(f.shadowAgreement.checks)}`,
    "tokens avoided in/out": `${count(f.tokensInAvoided)}/${count(f.tokensOutAvoided)}`,
    saved: formatUsd(f.moneyAvoidedUsd),
    "per call": formatUsd(f.savingPerCallUsd),
    "latency saved": formatDuration(f.latencyMsAvoided),
    compile: formatUsd(f.compileCostUsd),
    "break-even": typeof f.breakEvenCalls === "number" ? `${count(Math.ceil(f.breakEvenCalls))} calls` : f.breakEvenCalls,
  };
}

function notes(report: SavingsReport): string {
  const out: string[] = [];
  const unpriced = report.total.unpricedBuckets;
  if (unpriced.length > 0) {
    const models = report.prices.filter((p) => p.price === "unknown").map((p) => p.model);
    out.push(
      `saved is unknown for ${unpriced.length} bucket(s) (${unpriced.join(", ")}): ${models.length ? `no price for ${models.join(", ")}` : "no model recorded"}; ` +
        `add --price MODEL=IN/OUT (USD per million tokens). The priced buckets saved ${formatUsd(report.total.moneyAvoidedPricedUsd)}.`,
    );
  }
  for (const { model, price } of report.prices) {
    if (price === "unknown") continue;
    const from = price.source === "override" ? "--price" : `genai-prices ${price.provider ?? "?"}/${price.modelMatched ?? "?"}`;
    out.push(`price ${model}: $${price.inputPerMTok} in, $${price.outputPerMTok} out per million tokens (${from})`);
  }
  out.push("saved counts served calls that were not shadowed (a shadow call still asks the model); latency counts every served call.");
  out.push("agree: checked served calls that matched the model's answer (shadow checks, and replay checks against the recorded answer).");
  out.push("per call = saved / calls (served + deferred); break-even = compile / per call, in calls at the same coverage and shadow rate.");
  return out.map((l) => printableValue(l) + "\n").join("");
}

function count(x: number): string {
  return Math.round(x).toLocaleString("en-US");
}

function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return ms < 1000 ? `${Math.round(ms)}ms` : `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, "0")}s`;
  const h = Math.floor(m / 60);
  return `${h}h${String(m % 60).padStart(2, "0")}m`;
}

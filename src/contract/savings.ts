/**
 * What compiling saved, per call site and in total (`compile-daemon savings`). Pure: the caller reads
 * the usage windows and the vault and hands them over.
 *
 * The accounting, against the world where every call asks the model:
 * - a served call that was not shadowed asked no model: its tokens, money and latency are saved;
 * - a shadowed call is served too (the caller got the function's answer and did not wait for the
 *   model), but the model was asked all the same to check agreement: it saves latency, not money;
 * - a deferred call asked the model: it saves nothing;
 * - a served call checked against an answer known without asking (a replayed recording) is a saving
 *   like any served call; its check counts in the agreement beside the shadow checks.
 * So money and tokens count served-minus-shadowed calls, latency counts every served call.
 *
 * Saving per call is per call to the bucket (served + deferred), at the coverage and shadow rate
 * observed; break-even N* = compile cost / saving per call is then the number of calls to the bucket
 * after which the compile has paid for itself, if traffic goes on as it did.
 *
 * Money the report does not know is "unknown", never $0: a bucket whose model has no price (and that
 * had calls whose money was saved) is unknown, and so is the money total; the total also carries the
 * sum over the priced buckets and the names of the unpriced ones, so the table can say both.
 */
import { costOf, priceOf, type ModelPrice, type PriceOverrides, type Usd } from "./prices.js";
import type { UsageCounts } from "../../convex/lib/usage.js";

export type { Usd } from "./prices.js";

/**
 * One bucket's calls in one time window, already summed by the runtime. Shadowed calls are a subset of
 * the served ones (shadowAgree of the shadowed). The three "avoided" figures are summed over every
 * served call, shadowed or not: what the model would have taken had it been asked (the runtime
 * estimates them from the bucket's traces); this module removes the shadowed share from the money.
 */
export interface UsageWindow extends UsageCounts {
  bucket: string;
  /** Start of the window, ms since the epoch. Rows are summed: the caller must not pass a window twice. */
  windowStart: number;
  /** The model the served calls stood in for, when the runtime knew it; else the bucket's. */
  model?: string;
}

/** What the vault knows about a bucket. */
export interface BucketInfo {
  /** The model the bucket's traces use. */
  model?: string;
  /** What compiling it cost (model calls of the compiler), when known. 0 is a known, free compile. */
  compileCostUsd?: number;
  compileMs?: number;
}

/** How often served answers matched the model's: in shadow checks (the model asked) and free checks against a known answer. */
export interface ShadowAgreement {
  rate: number;
  /** How many checks the rate rests on (a handful must not read as certainty; the drift test judges it). */
  checks: number;
}

/** Calls to repay the compile; "never" when nothing is saved per call; "unknown" when a cost is. */
export type BreakEven = number | "never" | "unknown";

/** Figures shared by a bucket line and the total line. */
export interface SavingsFigures {
  /** served + deferred */
  calls: number;
  served: number;
  deferred: number;
  shadowed: number;
  shadowAgree: number;
  /** Served calls checked for free against a known answer (replay), and how many matched. */
  checked: number;
  checkAgree: number;
  /** served / calls; undefined without calls. */
  coverage: number | undefined;
  /** (shadowAgree + checkAgree) / (shadowed + checked); undefined without any check. */
  shadowAgreement: ShadowAgreement | undefined;
  /** Tokens not sent to the model: the served-not-shadowed share (fractional: shares are estimates). */
  tokensInAvoided: number;
  tokensOutAvoided: number;
  moneyAvoidedUsd: Usd;
  latencyMsAvoided: number;
  savingPerCallUsd: Usd;
  compileCostUsd: Usd;
  breakEvenCalls: BreakEven;
}

export interface BucketSavings extends SavingsFigures {
  bucket: string;
  /** The models its calls were priced with (row model, else the bucket's), sorted. */
  models: string[];
  compileMs: number | undefined;
}

export interface SavingsTotal extends SavingsFigures {
  /** Money saved by the priced buckets alone: a floor when moneyAvoidedUsd is "unknown". */
  moneyAvoidedPricedUsd: number;
  /** Buckets whose saved money is unknown (a model without a price). */
  unpricedBuckets: string[];
}

export interface SavingsReport {
  /** Every bucket with usage rows or vault info, by name. */
  buckets: BucketSavings[];
  total: SavingsTotal;
  /** The price each model was charged at, by name: what the reader checks the money against. */
  prices: Array<{ model: string; price: ModelPrice | "unknown" }>;
}

export interface SavingsOptions {
  overrides?: PriceOverrides;
  /** The date prices are taken at (default now). */
  at?: Date;
}

export function computeSavings(
  rows: readonly UsageWindow[],
  info: ReadonlyMap<string, BucketInfo> = new Map(),
  options: SavingsOptions = {},
): SavingsReport {
  const prices = new Map<string, ModelPrice | "unknown">();
  const priceFor = (model: string | undefined): ModelPrice | "unknown" => {
    if (model === undefined) return "unknown";
    let price = prices.get(model);
    if (price === undefined) {
      price = priceOf(model, options.overrides, options.at);
      prices.set(model, price);
    }
    return price;
  };

  const rowsByBucket = new Map<string, UsageWindow[]>();
  for (const row of rows) {
    checkRow(row);
    rowsByBucket.set(row.bucket, [...(rowsByBucket.get(row.bucket) ?? []), row]);
  }
  const names = [...new Set([...rowsByBucket.keys(), ...info.keys()])].sort();
  const buckets = names.map((bucket) => bucketSavings(bucket, rowsByBucket.get(bucket) ?? [], info.get(bucket) ?? {}, priceFor));
  return {
    buckets,
    total: totalOf(buckets),
    prices: [...prices.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([model, price]) => ({ model, price })),
  };
}

/** N* = compile cost / saving per call. A free compile is repaid at once, whatever a call saves. */
export function breakEvenCalls(compileCostUsd: Usd, savingPerCallUsd: Usd): BreakEven {
  if (compileCostUsd === 0) return 0;
  if (compileCostUsd === "unknown" || savingPerCallUsd === "unknown") return "unknown";
  if (savingPerCallUsd <= 0) return "never";
  return compileCostUsd / savingPerCallUsd;
}

function bucketSavings(
  bucket: string,
  rows: readonly UsageWindow[],
  info: BucketInfo,
  priceFor: (model: string | undefined) => ModelPrice | "unknown",
): BucketSavings {
  if (info.compileCostUsd !== undefined && !isAmount(info.compileCostUsd)) {
    throw new RangeError(`${bucket}: compile cost ${info.compileCostUsd} is not a sum of money`);
  }
  const models = new Set<string>();
  const sums = { served: 0, deferred: 0, shadowed: 0, shadowAgree: 0, checked: 0, checkAgree: 0, tokensIn: 0, tokensOut: 0, latencyMs: 0 };
  let money: Usd = 0;
  for (const row of rows) {
    const model = row.model ?? info.model;
    if (model !== undefined) models.add(model);
    // Only the served-not-shadowed share of the row's tokens stayed away from the model.
    const share = row.served === 0 ? 0 : (row.served - row.shadowed) / row.served;
    const tokensIn = row.tokensInAvoided * share;
    const tokensOut = row.tokensOutAvoided * share;
    // No call saved, no money saved: exactly $0 whatever the price, so no price is needed.
    const rowMoney = row.served - row.shadowed === 0 ? 0 : costOf(priceFor(model), tokensIn, tokensOut);
    money = money === "unknown" || rowMoney === "unknown" ? "unknown" : money + rowMoney;
    sums.served += row.served;
    sums.deferred += row.deferred;
    sums.shadowed += row.shadowed;
    sums.shadowAgree += row.shadowAgree;
    sums.checked += row.checked ?? 0;
    sums.checkAgree += row.checkAgree ?? 0;
    sums.tokensIn += tokensIn;
    sums.tokensOut += tokensOut;
    sums.latencyMs += row.latencyMsAvoided;
  }
  if (models.size === 0 && info.model !== undefined) models.add(info.model);
  return {
    bucket,
    models: [...models].sort(),
    compileMs: info.compileMs,
    ...figures(sums, money, info.compileCostUsd ?? "unknown"),
  };
}

function totalOf(buckets: readonly BucketSavings[]): SavingsTotal {
  const sums = { served: 0, deferred: 0, shadowed: 0, shadowAgree: 0, checked: 0, checkAgree: 0, tokensIn: 0, tokensOut: 0, latencyMs: 0 };
  let priced = 0;
  const unpriced: string[] = [];
  let compile: Usd = 0;
  for (const b of buckets) {
    sums.served += b.served;
    sums.deferred += b.deferred;
    sums.shadowed += b.shadowed;
    sums.shadowAgree += b.shadowAgree;
    sums.checked += b.checked;
    sums.checkAgree += b.checkAgree;
    sums.tokensIn += b.tokensInAvoided;
    sums.tokensOut += b.tokensOutAvoided;
    sums.latencyMs += b.latencyMsAvoided;
    if (b.moneyAvoidedUsd === "unknown") unpriced.push(b.bucket);
    else priced += b.moneyAvoidedUsd;
    compile = compile === "unknown" || b.compileCostUsd === "unknown" ? "unknown" : compile + b.compileCostUsd;
  }
  // A partial sum must not pass for the whole: the total is unknown, the priced floor travels beside it.
  const money: Usd = unpriced.length > 0 ? "unknown" : priced;
  return { ...figures(sums, money, compile), moneyAvoidedPricedUsd: priced, unpricedBuckets: unpriced };
}

function figures(
  sums: { served: number; deferred: number; shadowed: number; shadowAgree: number; checked: number; checkAgree: number; tokensIn: number; tokensOut: number; latencyMs: number },
  money: Usd,
  compileCostUsd: Usd,
): SavingsFigures {
  const calls = sums.served + sums.deferred;
  const savingPerCallUsd: Usd = money === "unknown" || calls === 0 ? "unknown" : money / calls;
  return {
    calls,
    served: sums.served,
    deferred: sums.deferred,
    shadowed: sums.shadowed,
    shadowAgree: sums.shadowAgree,
    checked: sums.checked,
    checkAgree: sums.checkAgree,
    coverage: calls === 0 ? undefined : sums.served / calls,
    shadowAgreement: agreementOf(sums.shadowed + sums.checked, sums.shadowAgree + sums.checkAgree),
    tokensInAvoided: sums.tokensIn,
    tokensOutAvoided: sums.tokensOut,
    moneyAvoidedUsd: money,
    latencyMsAvoided: sums.latencyMs,
    savingPerCallUsd,
    compileCostUsd,
    breakEvenCalls: breakEvenCalls(compileCostUsd, savingPerCallUsd),
  };
}

function agreementOf(checks: number, agree: number): ShadowAgreement | undefined {
  return checks === 0 ? undefined : { rate: agree / checks, checks };
}

/** A row that breaks the counting rules is a bug upstream: refused rather than reported as savings. */
function checkRow(row: UsageWindow): void {
  const where = `usage row ${JSON.stringify(row.bucket)} at ${row.windowStart}`;
  for (const field of ["served", "deferred", "shadowed", "shadowAgree", "tokensInAvoided", "tokensOutAvoided", "latencyMsAvoided"] as const) {
    if (!isAmount(row[field])) throw new RangeError(`${where}: ${field} ${row[field]} is not a count`);
  }
  if (row.shadowed > row.served) throw new RangeError(`${where}: ${row.shadowed} shadowed of ${row.served} served (shadow calls are served calls)`);
  if (row.shadowAgree > row.shadowed) throw new RangeError(`${where}: ${row.shadowAgree} agreeing of ${row.shadowed} shadowed`);
  const [checked, checkAgree] = [row.checked ?? 0, row.checkAgree ?? 0];
  if (!isAmount(checked) || !isAmount(checkAgree)) throw new RangeError(`${where}: checked ${checked}, checkAgree ${checkAgree} are not counts`);
  if (checked > row.served) throw new RangeError(`${where}: ${checked} checked of ${row.served} served (checked calls are served calls)`);
  if (checkAgree > checked) throw new RangeError(`${where}: ${checkAgree} agreeing of ${checked} checked`);
}

function isAmount(x: number): boolean {
  return Number.isFinite(x) && x >= 0;
}

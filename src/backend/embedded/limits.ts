/**
 * Convex's per-transaction limits (https://docs.convex.dev/production/state/limits) and the usage
 * `ctx.meta.getTransactionMetrics()` reports against them. The numbers and messages are Convex's, so a
 * function that works here does not break its limits on a real deployment.
 */

const MiB = 1 << 20;
const LIMITS_PAGE = "This is a Convex limit: https://docs.convex.dev/production/state/limits";

/** The metrics Convex reports, in the order of its `TransactionMetrics` type. */
const METRIC_NAMES = [
  "bytesRead",
  "bytesWritten",
  "databaseQueries",
  "documentsRead",
  "documentsWritten",
  "functionsScheduled",
  "scheduledFunctionArgsBytes",
  "filesWritten",
  "fileWriteBytes",
  "filesRead",
  "fileReadBytes",
] as const;

export type MetricName = (typeof METRIC_NAMES)[number];
export type Usage = Record<MetricName, number>;

/** Metrics that stay counted when a nested mutation rolls back: its reads happened, its writes did not. */
const READ_METRICS: MetricName[] = ["bytesRead", "documentsRead", "databaseQueries", "filesRead", "fileReadBytes"];

export const TRANSACTION_LIMITS: Readonly<Usage> = {
  bytesRead: 16 * MiB,
  bytesWritten: 16 * MiB,
  databaseQueries: 4096,
  documentsRead: 32_000,
  documentsWritten: 16_000,
  functionsScheduled: 1000,
  scheduledFunctionArgsBytes: 16 * MiB,
  filesWritten: 10,
  fileWriteBytes: 16 * MiB,
  filesRead: 10,
  fileReadBytes: 16 * MiB,
};

/** What `ctx.meta.getTransactionMetrics()` returns. */
export type TransactionMetrics = Record<MetricName, { used: number; remaining: number }>;

interface Layer {
  usage: Usage;
  limits: Usage;
  enforce: boolean;
}

function zeroUsage(): Usage {
  return Object.fromEntries(METRIC_NAMES.map((name) => [name, 0])) as Usage;
}

/**
 * The usage of one transaction, with a layer per nested ctx.runQuery/runMutation. A nested layer
 * starts from its parent's usage (the limits hold for the whole transaction) and may lower them
 * (`transactionLimits`: a budget for the nested call's own usage, never above the parent's limit).
 */
export class TransactionMeter {
  private readonly layers: Layer[];

  /** Without `enforce` usage is only measured, unless a nested call asks for its own limits. */
  constructor(enforce: boolean) {
    this.layers = [{ usage: zeroUsage(), limits: { ...TRANSACTION_LIMITS }, enforce }];
  }

  private get top(): Layer {
    return this.layers[this.layers.length - 1];
  }

  /** Opens a nested call's layer; `requested` is its `transactionLimits` option, if any. */
  enterNested(requested?: Partial<Record<string, unknown>>): void {
    const parent = this.top;
    const limits = { ...parent.limits };
    for (const name of METRIC_NAMES) {
      const budget = requested?.[name];
      if (typeof budget === "number") limits[name] = Math.min(parent.limits[name], parent.usage[name] + budget);
    }
    this.layers.push({ usage: { ...parent.usage }, limits, enforce: parent.enforce || requested !== undefined });
  }

  /** Closes a nested call's layer; a failed call's writes were rolled back and no longer count. */
  exitNested(succeeded: boolean): void {
    const child = this.layers.pop()!;
    const parent = this.top;
    if (succeeded) parent.usage = child.usage;
    else for (const name of READ_METRICS) parent.usage[name] = child.usage[name];
  }

  /** One db.get, db.query or count: an index range. */
  indexRange(): void {
    this.add("databaseQueries", 1);
    this.check("databaseQueries", (limit) => `Too many index ranges read in a single function execution (limit: ${limit}).`);
  }

  /** One document scanned, whether or not a filter keeps it. */
  read(bytes: number): void {
    this.add("bytesRead", bytes);
    this.add("documentsRead", 1);
    this.check("bytesRead", (limit) => `Read too much data in a single function execution (limit: ${limit} bytes).`);
    this.check("documentsRead", (limit) => `Scanned too many documents in a single function execution (limit: ${limit}).`);
  }

  /** One document inserted, replaced or deleted (`bytes` 0), at its new size. */
  write(bytes: number): void {
    this.add("bytesWritten", bytes);
    this.add("documentsWritten", 1);
    this.check("bytesWritten", (limit) => `Wrote too much data in a single function execution (limit: ${limit} bytes).`);
    this.check("documentsWritten", (limit) => `Wrote too many documents in a single function execution (limit: ${limit}).`);
  }

  /** One function scheduled with arguments of `argsBytes`. */
  schedule(argsBytes: number): void {
    this.add("functionsScheduled", 1);
    this.add("scheduledFunctionArgsBytes", argsBytes);
    this.check("functionsScheduled", (limit) => `Scheduled too many functions in a single function execution (limit: ${limit}).`);
    this.check(
      "scheduledFunctionArgsBytes",
      (limit) => `Scheduled function arguments too large in a single function execution (limit: ${limit} bytes).`,
    );
  }

  metrics(): TransactionMetrics {
    const { usage, limits } = this.top;
    return Object.fromEntries(METRIC_NAMES.map((name) => [name, { used: usage[name], remaining: limits[name] - usage[name] }])) as TransactionMetrics;
  }

  private add(name: MetricName, amount: number): void {
    this.top.usage[name] += amount;
  }

  private check(name: MetricName, message: (limit: number) => string): void {
    const { usage, limits, enforce } = this.top;
    if (enforce && usage[name] > limits[name]) throw new Error(`${message(limits[name])} ${LIMITS_PAGE}`);
  }
}

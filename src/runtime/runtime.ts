import type { BackendClient } from "../backend/client.js";
import { api } from "../contract/api.js";
import type { CheckedTrace, ServingBucketCosts, ServingView } from "../contract/documents.js";
import { loadFunction, type CompiledFunction } from "./loadFunction.js";
import { Recorder, type DeferredCount } from "./recorder.js";
import { canonicalKey, isShadowed } from "./shadowSample.js";
import type { AgentRuntime, CallModel, CallOptions, CallResult, ModelReply } from "./types.js";

export interface RuntimeOptions {
  backend: BackendClient;
  /** Share of served calls also asked of the model, after the answer is returned. Default 0.05. */
  shadowRate?: number;
  /** Record deferred and shadow-checked calls as traces. Default true. */
  record?: boolean;
  /** A compiled call slower than this counts as an abstention (and is reported). Default 50 ms. */
  budgetMs?: number;
  /** Counters and checks are sent at least this often. Default 1000 ms. */
  flushMs?: number;
  /** Width of a usage window. Default 60 s. */
  windowMs?: number;
  /** Problems the caller should know of but that must not fail a call. Default: stderr. */
  onError?: (error: Error) => void;
}

interface ServedEntry {
  entryId: string;
  bucket: string;
  fn: CompiledFunction;
}

export interface Runtime extends AgentRuntime {
  /** Resolves once the vault's entries have arrived (calls before that go to the model). */
  ready(): Promise<void>;
  /** The buckets served right now and their vault entries. */
  serving(): ReadonlyMap<string, string>;
  /** Sends pending traces, counters and checks now. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

const NO_COSTS: Omit<ServingBucketCosts, "bucket"> = { avgTokensIn: 0, avgTokensOut: 0, avgLatencyMs: 0 };

/**
 * The agent runtime: `call(bucket, input, callModel)` answers from the bucket's active vault entry
 * (for the current code SHA) when its function does not abstain, and otherwise asks the model and
 * records the call as a trace. Vault changes arrive by subscription and swap functions without a
 * restart; a demotion stops serving at once.
 */
export function createRuntime(options: RuntimeOptions): Runtime {
  const { backend } = options;
  const shadowRate = options.shadowRate ?? 0.05;
  const record = options.record ?? true;
  const budgetMs = options.budgetMs ?? 50;
  const windowMs = options.windowMs ?? 60_000;
  const onError = options.onError ?? ((e: Error) => process.stderr.write(`${e.message}\n`));

  let entries = new Map<string, ServedEntry>();
  let costs = new Map<string, ServingBucketCosts>();
  /** Loaded functions by entry id and code hash (a retry may replace an entry's code in place): a subscription update reloads nothing that did not change. */
  const loaded = new Map<string, CompiledFunction | null>();
  const demoted = new Set<string>();
  let markReady: () => void = () => {};
  const readyPromise = new Promise<void>((resolve) => (markReady = resolve));

  const recorder = new Recorder(
    async (report) => {
      const result = await backend.mutation(api.daemon.runtime.report, {
        // Ids travel as strings between processes; the backend checks them.
        checks: report.checks.map((c) => ({ ...c, entryId: c.entryId as never })),
        traces: report.traces,
        usage: report.usage,
      });
      return { demoted: result.demoted.map(String) };
    },
    (ids) => {
      for (const id of ids) demoted.add(id);
      entries = new Map([...entries].filter(([, e]) => !demoted.has(e.entryId)));
    },
    onError,
    options.flushMs ?? 1000,
  );

  const applyServing = (view: ServingView) => {
    const next = new Map<string, ServedEntry>();
    for (const e of view.entries) {
      const id = String(e.entryId);
      if (demoted.has(id)) continue;
      const cacheKey = `${id}:${e.codeHash}`;
      let fn = loaded.get(cacheKey);
      if (fn === undefined) {
        try {
          fn = loadFunction(e.code, e.codeHash);
        } catch (err) {
          fn = null;
          onError(new Error(`runtime: not serving ${e.bucket} (${id}): ${err instanceof Error ? err.message : String(err)}`));
        }
        loaded.set(cacheKey, fn);
      }
      if (fn) next.set(e.bucket, { entryId: id, bucket: e.bucket, fn });
    }
    entries = next;
    // Keep loaded code only for what the vault still serves: entries replaced over a long run would otherwise pile up.
    const live = new Set(view.entries.map((e) => `${String(e.entryId)}:${e.codeHash}`));
    for (const key of loaded.keys()) if (!live.has(key)) loaded.delete(key);
    costs = new Map(view.buckets.map((b) => [b.bucket, b]));
    markReady();
  };
  const unsubscribe = backend.onUpdate(api.daemon.runtime.serving, {}, applyServing, (e) => onError(new Error(`runtime: vault subscription: ${e.message}`)));

  const windowOf = (at: number) => Math.floor(at / windowMs) * windowMs;
  const counters = (bucket: string, windowStart = windowOf(Date.now())) => {
    const c = costs.get(bucket) ?? NO_COSTS;
    return { row: recorder.counters(bucket, windowStart, c.model), costs: c };
  };

  const traceOfCall = (bucket: string, input: unknown, reply: ModelReply, latencyMs: number): CheckedTrace => ({
    bucket,
    input,
    output: reply.output,
    model: reply.model ?? costs.get(bucket)?.model ?? "unknown",
    latencyMs: Math.max(0, reply.latencyMs ?? latencyMs),
    tokensIn: Math.max(0, reply.tokensIn ?? 0),
    tokensOut: Math.max(0, reply.tokensOut ?? 0),
    ts: Date.now(),
  });
  const recordTrace = (bucket: string, input: unknown, reply: ModelReply, latencyMs: number, count?: DeferredCount): Promise<void> =>
    recorder.trace(traceOfCall(bucket, input, reply, latencyMs), count);

  const askModel = async (callModel: CallModel): Promise<{ reply: ModelReply; latencyMs: number }> => {
    const started = performance.now();
    const reply = await callModel();
    return { reply, latencyMs: Math.round(performance.now() - started) };
  };

  /** After the answer is returned: ask the model too, record the call, and count whether they agree. */
  const shadow = (entry: ServedEntry, input: unknown, served: unknown, callModel: CallModel, windowStart: number) => {
    setImmediate(() => {
      askModel(callModel).then(
        async ({ reply, latencyMs }) => {
          const agree = canonicalKey(served) === canonicalKey(reply.output);
          // Counted in the served call's window, so no window holds more shadowed than served calls.
          const { row } = counters(entry.bucket, windowStart);
          row.shadowed++;
          if (agree) row.shadowAgree++;
          recorder.check({ bucket: entry.bucket, entryId: entry.entryId, agree });
          // Nobody waits for this trace: it rides with the next periodic report.
          if (record) recorder.backgroundTrace(traceOfCall(entry.bucket, input, reply, latencyMs));
        },
        (e: unknown) => onError(new Error(`runtime: shadow check of ${entry.bucket} failed: ${e instanceof Error ? e.message : String(e)}`)),
      );
    });
  };

  /** The compiled answer, or undefined when the function abstains, throws or overruns its budget. */
  const tryServe = (entry: ServedEntry, input: unknown): unknown => {
    const started = performance.now();
    let output: unknown;
    try {
      output = entry.fn(input);
    } catch (e) {
      onError(new Error(`runtime: ${entry.bucket} (${entry.entryId}) threw, asking the model: ${e instanceof Error ? e.message : String(e)}`));
      return undefined;
    }
    const took = performance.now() - started;
    if (took > budgetMs) {
      onError(new Error(`runtime: ${entry.bucket} (${entry.entryId}) took ${took.toFixed(1)} ms (budget ${budgetMs} ms), asking the model`));
      return undefined;
    }
    return output;
  };

  const callDetailed = async (bucket: string, input: unknown, callModel: CallModel, callOptions: CallOptions = {}): Promise<CallResult> => {
    const entry = entries.get(bucket);
    if (entry !== undefined) {
      const output = tryServe(entry, input);
      if (output !== undefined) {
        const windowStart = windowOf(Date.now());
        const { row, costs: c } = counters(bucket, windowStart);
        row.served++;
        row.tokensInAvoided += c.avgTokensIn;
        row.tokensOutAvoided += c.avgTokensOut;
        row.latencyMsAvoided += c.avgLatencyMs;
        if (callOptions.knownAnswer !== undefined) {
          const agreed = canonicalKey(output) === canonicalKey(callOptions.knownAnswer);
          row.checked = (row.checked ?? 0) + 1;
          if (agreed) row.checkAgree = (row.checkAgree ?? 0) + 1;
          recorder.check({ bucket, entryId: entry.entryId, agree: agreed });
          return { output, source: "served", entryId: entry.entryId, agreed };
        }
        if (shadowRate > 0 && isShadowed(bucket, input, shadowRate)) shadow(entry, input, output, callModel, windowStart);
        return { output, source: "served", entryId: entry.entryId };
      }
    }
    const { reply, latencyMs } = await askModel(callModel);
    const windowStart = windowOf(Date.now());
    if (callOptions.record ?? record) await recordTrace(bucket, input, reply, latencyMs, { windowStart, model: costs.get(bucket)?.model });
    else counters(bucket, windowStart).row.deferred++;
    return { output: reply.output, source: "deferred", ...(entry ? { entryId: entry.entryId } : {}) };
  };

  return {
    callDetailed,
    async call(bucket, input, callModel) {
      return (await callDetailed(bucket, input, callModel)).output;
    },
    ready: () => readyPromise,
    serving: () => new Map([...entries].map(([bucket, e]) => [bucket, e.entryId])),
    flush: () => recorder.flush(),
    async close() {
      unsubscribe();
      await recorder.close();
    },
  };
}

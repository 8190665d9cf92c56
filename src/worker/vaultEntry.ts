import { codeHash } from "../compiler/codeCheck.js";
import type { CompileResult } from "../compiler/types.js";

/** Which of the bucket's traces a compile learned from, when not all (see vault_index.window). */
export interface TraceWindow {
  traces: number;
  of: number;
  sinceSeq?: number;
  /** How many of `traces` were drawn evenly from the older history (the rest are the newest). */
  spread?: number;
}

/**
 * The `MAX_TRACES` of a big bucket (the newest, or with `spread` the newest half and a spread of
 * its older traces), or only the traces since its drift: what the vault entry says it learned from.
 * Undefined when it learned from all of them.
 */
export function traceWindow(
  learned: number,
  max: number,
  bucket: { count: number; trainFromCount?: number } | undefined,
  sinceSeq: number | undefined,
  spreadAsked = false,
): TraceWindow | undefined {
  const of = bucket === undefined ? learned : Math.max(learned, bucket.count - (bucket.trainFromCount ?? 0));
  // ingest.traces spreads its answer exactly when the range holds more than the window: the newest
  // ceil(max / 2), and the rest drawn over the older traces.
  const spread = spreadAsked && of > max ? learned - Math.ceil(max / 2) : undefined;
  if (learned < max && sinceSeq === undefined && spread === undefined) return undefined;
  return { traces: learned, of, ...(sinceSeq === undefined ? {} : { sinceSeq }), ...(spread === undefined ? {} : { spread }) };
}

/**
 * The vault fields of a compile result, as compiles.complete takes them. Picked field by field:
 * the mutation's validator refuses anything it does not list (lowerBounds, notes, novel ...).
 * `codeHash` is the sha256 of the code that passed the code check and stage 2: `vault export` loads
 * only code that still matches it (and passes the check again).
 */
export function vaultEntry(result: CompileResult, envelope?: unknown, window?: TraceWindow) {
  const { scores, coverage, selective } = result;
  return {
    verdict: result.verdict,
    scores: { schema: scores.schema, det: scores.det, oracle: scores.oracle, robustness: scores.robustness },
    coverage: coverage.rate,
    selective: { agreement: selective.rate, lowerBound: selective.lowerBound, upperBound: selective.upperBound },
    oracleLowerBound: result.oracleLowerBound,
    baseline: result.baseline,
    family: result.family,
    code: result.code,
    codeHash: codeHash(result.code),
    nTraces: result.nTraces,
    nTrain: result.nTrain,
    nHoldout: result.nHoldout,
    reasons: result.reasons,
    ...(window === undefined ? {} : { window }),
    ...(envelope === undefined ? {} : { envelope: markAbstentions(envelope) }),
  };
}

/**
 * A function abstains by returning `undefined`, which a stored document cannot hold: the field would
 * silently vanish and the fixture would read as answered with nothing. Say it instead.
 */
export function markAbstentions(envelope: unknown): unknown {
  if (typeof envelope !== "object" || envelope === null || !("calls" in envelope) || !Array.isArray(envelope.calls)) return envelope;
  const calls = envelope.calls.map((call: unknown) => {
    if (typeof call !== "object" || call === null || !("input" in call)) return call;
    if ("output" in call && call.output !== undefined) return call;
    const { output: _abstained, ...rest } = call as Record<string, unknown>;
    return { ...rest, abstained: true };
  });
  return { ...envelope, calls };
}

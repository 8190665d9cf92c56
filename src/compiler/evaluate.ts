
/** The evaluation starts after this share of the traces: the first half only ever trains. */
export const EVALUATION_START = 0.5;
/** Training windows (origins) over the evaluated half: each block is predicted by the window before it. */
export const EVALUATION_WINDOWS = 5;

/** One evaluated call: what the candidate said (undefined: abstained), what was recorded, what the baseline said. */
export interface EvaluatedCall {
  predicted: string | undefined;
  recorded: string;
  baseline: string;
}

/** Traces in the order they happened (by `ts` when every trace has a readable one; else as given). */
export function inTimeOrder<T extends { ts?: unknown }>(traces: readonly T[]): T[] {
  const times = traces.map((trace) => (typeof trace.ts === "string" || typeof trace.ts === "number" ? new Date(trace.ts).getTime() : Number.NaN));
  if (times.some((time) => Number.isNaN(time))) return traces.slice();
  return traces.map((trace, i) => ({ trace, i })).sort((a, b) => times[a.i] - times[b.i] || a.i - b.i).map(({ trace }) => trace);
}

/**
 * Where each evaluation block starts (the last ends at n); empty when there is nothing to evaluate.
 * Rolling-origin (forward-chaining) evaluation: each block of later traces is answered by a program
 * selected and fit only on the traces before it (synthesize.ts), so an input seen before counts as
 * it would in traffic and a new input counts as new. A block's baseline is its window's most common answer.
 */
export function evaluationOrigins(n: number): number[] {
  const start = Math.ceil(n * EVALUATION_START);
  const windows = Math.min(EVALUATION_WINDOWS, n - start);
  return Array.from({ length: windows }, (_, j) => start + Math.round((j * (n - start)) / windows));
}

/** The counts the gate reads from evaluated calls. */
export interface EvaluationCounts {
  evaluated: number;
  answered: number;
  correct: number;
  /** Calls the baseline answered right, over all evaluated calls. */
  baselineCorrect: number;
  /** Answered calls where only the candidate was right, and where only the baseline was. */
  wins: number;
  losses: number;
}

export function countEvaluation(calls: readonly EvaluatedCall[]): EvaluationCounts {
  const counts: EvaluationCounts = { evaluated: calls.length, answered: 0, correct: 0, baselineCorrect: 0, wins: 0, losses: 0 };
  for (const call of calls) {
    const baselineRight = call.baseline === call.recorded;
    if (baselineRight) counts.baselineCorrect++;
    if (call.predicted === undefined) continue;
    counts.answered++;
    const right = call.predicted === call.recorded;
    if (right) counts.correct++;
    if (right && !baselineRight) counts.wins++;
    if (!right && baselineRight) counts.losses++;
  }
  return counts;
}

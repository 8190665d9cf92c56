import { canonicalJson } from "./canonical.js";
import type { EvaluationCounts } from "./evaluate.js";
import { validatorFor } from "./schema.js";
import { mcnemarOneSided, round3, wilsonInterval } from "./stats.js";
import type { GateThresholds, RateEstimate, Stage2Output, Verdict } from "./types.js";

export interface Count {
  ok: number;
  n: number;
}

export function estimate({ ok, n }: Count): RateEstimate {
  const { lower, upper } = wilsonInterval(ok, n);
  return { rate: round3(n === 0 ? 0 : ok / n), lowerBound: round3(lower), upperBound: round3(upper), ok, n };
}

/**
 * schema and det from stage 2 over the calls in `indexes`: answers valid against the output
 * schema (an abstention is not an answer; a failed call is invalid), and the same outcome in both
 * passes (the same answer, or an abstention both times).
 */
export function stage2Counts(stage2: Stage2Output, outputSchema: object, indexes: readonly number[]): { schema: Count; det: Count } {
  const validate = validatorFor(outputSchema);
  const failed = new Set(stage2.failed);
  const abstained = new Set(stage2.abstained);
  const abstainedAgain = new Set(stage2.secondAbstained);
  const schema = { ok: 0, n: 0 };
  const det = { ok: 0, n: indexes.length };
  for (const i of indexes) {
    if (failed.has(i)) {
      schema.n++;
      continue;
    }
    if (!abstained.has(i)) {
      schema.n++;
      if (validate(stage2.outputs[i])) schema.ok++;
    }
    const same = abstained.has(i) ? abstainedAgain.has(i) : !abstainedAgain.has(i) && canonicalJson(stage2.outputs[i]) === canonicalJson(stage2.secondOutputs[i]);
    if (same) det.ok++;
  }
  return { schema, det };
}

/**
 * Robustness: each pair is (an observed input, the same input with a meaning-keeping change). The
 * changed input must get the same answer or an abstention.
 */
export function robustnessCount(stage2: Stage2Output, pairs: ReadonlyArray<{ original: number; perturbed: number }>): Count {
  const failed = new Set(stage2.failed);
  const abstained = new Set(stage2.abstained);
  let ok = 0;
  for (const { original, perturbed } of pairs) {
    if (failed.has(perturbed) || failed.has(original)) continue;
    if (abstained.has(perturbed)) ok++;
    else if (!abstained.has(original) && canonicalJson(stage2.outputs[original]) === canonicalJson(stage2.outputs[perturbed])) ok++;
  }
  return { ok, n: pairs.length };
}

export interface GateInput {
  evaluation: EvaluationCounts;
  schema: Count;
  det: Count;
  robustness: Count;
  /** Every recorded answer of the bucket is the same: no lift over the baseline is possible or needed. */
  allSame: boolean;
  /** The most common recorded answer, for the reason text. */
  commonAnswer: string;
  /** Sandboxed calls that threw or timed out, with the first error. */
  sandboxErrors: { count: number; first?: string };
  /** Calls where the emitted code and the learned program disagreed. */
  mismatches: number;
}

export interface GateOutcome {
  verdict: Verdict;
  reasons: string[];
  coverage: RateEstimate;
  selective: RateEstimate;
  liftPValue: number;
}

const short = (text: string) => (text.length > 60 ? `${text.slice(0, 57)}...` : text);

/**
 * The verdict and one plain reason per failed rule. Failures more traces cannot fix reject;
 * failures of thin evidence only (the lower bound, the significance of the lift) wait.
 */
export function decide(input: GateInput, gate: GateThresholds): GateOutcome {
  const { evaluation: e } = input;
  const coverage = estimate({ ok: e.answered, n: e.evaluated });
  const selective = estimate({ ok: e.correct, n: e.answered });
  const hard: string[] = [];
  const thin: string[] = [];
  const axis = (name: string, count: Count, threshold: number, what: string) => {
    const rate = count.n === 0 ? 1 : count.ok / count.n;
    if (rate < threshold) hard.push(`${name} ${round3(rate)} < ${threshold}: ${what} (${count.ok} of ${count.n})`);
  };
  axis("schema", input.schema, gate.schema, "answers valid against the output schema on synthetic inputs");
  axis("det", input.det, gate.det, "same outcome twice in fresh sandboxes, shuffled order");
  axis("robustness", input.robustness, gate.robustness, "inputs changed only in case, outer spaces, trailing punctuation or key order got the same answer or none");
  if (input.sandboxErrors.count > 0) hard.push(`${input.sandboxErrors.count} sandboxed calls failed (first: ${input.sandboxErrors.first ?? "unknown"})`);
  if (input.mismatches > 0) hard.push(`the emitted code disagreed with the learned program on ${input.mismatches} recorded inputs`);

  let liftPValue = 1;
  const baselineRate = e.evaluated === 0 ? 0 : e.baselineCorrect / e.evaluated;
  if (e.evaluated === 0) hard.push("no traces left to evaluate on");
  else if (e.answered === 0) hard.push(`answered none of the ${e.evaluated} later calls it was evaluated on`);
  else {
    // Below a threshold by the point estimate: rejected when even the interval's top is below it
    // (more traces would not change the answer), waiting while the interval still reaches it.
    if (e.correct / e.answered < gate.agreement) {
      const text = `selective agreement ${selective.rate} < ${gate.agreement}: right on ${e.correct} of the ${e.answered} later calls it answered`;
      (selective.upperBound < gate.agreement ? hard : thin).push(selective.upperBound < gate.agreement ? text : `${text} (too few to be sure: up to ${selective.upperBound} is plausible)`);
    }
    if (e.answered / e.evaluated < gate.coveragePartial) {
      const text = `coverage ${coverage.rate} < ${gate.coveragePartial}: answered ${e.answered} of ${e.evaluated} later calls`;
      (coverage.upperBound < gate.coveragePartial ? hard : thin).push(coverage.upperBound < gate.coveragePartial ? text : `${text} (too few to be sure: up to ${coverage.upperBound} is plausible)`);
    }
    if (!input.allSame) {
      liftPValue = round3(mcnemarOneSided(e.wins, e.losses));
      if (e.wins <= e.losses) {
        hard.push(
          `no better than always answering ${short(input.commonAnswer)}: that constant is right on ${e.baselineCorrect} of ${e.evaluated} later calls (${round3(baselineRate)}); ` +
            `where the two differ, the function was right ${e.wins} times and the constant ${e.losses} times`,
        );
      } else if (liftPValue >= gate.liftAlpha) {
        thin.push(`lift over always answering the most common answer is not yet significant (p = ${liftPValue} >= ${gate.liftAlpha}: right ${e.wins} times where the constant was wrong, wrong ${e.losses} times where it was right)`);
      }
    }
    if (wilsonInterval(e.correct, e.answered).lower < gate.agreementLowerBound && e.correct / e.answered >= gate.agreement) {
      thin.push(`selective agreement's 95 % lower bound ${selective.lowerBound} < ${gate.agreementLowerBound}: ${e.correct} of ${e.answered} answered later calls is too little evidence yet`);
    }
  }
  const verdict: Verdict = hard.length > 0 ? "rejected" : thin.length > 0 ? "waiting" : e.answered >= gate.coverageCompiled * e.evaluated ? "compiled" : "partial";
  const reasons = [...hard, ...thin];
  if (verdict === "partial") {
    reasons.push(`coverage ${coverage.rate} < ${gate.coverageCompiled}: answers ${e.answered} of ${e.evaluated} later calls and abstains on the rest (the model answers those)`);
  }
  return { verdict, reasons, coverage, selective, liftPValue };
}

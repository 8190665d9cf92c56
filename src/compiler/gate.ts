import { canonicalJson } from "./canonical.js";
import { validatorFor } from "./schema.js";
import { round3, wilsonLowerBound } from "./stats.js";
import type { GateThresholds, Scores, Stage2Output } from "./types.js";

export interface AxisCounts {
  schema: { ok: number; n: number };
  det: { ok: number; n: number };
  oracle: { ok: number; n: number };
}

/** schema and det from stage 2: valid answers (a failed call is invalid) and identical answers across passes. */
export function stage2Counts(stage2: Stage2Output, outputSchema: object): Pick<AxisCounts, "schema" | "det"> {
  const validate = validatorFor(outputSchema);
  const failed = new Set(stage2.failed);
  let valid = 0;
  let same = 0;
  stage2.outputs.forEach((output, i) => {
    if (failed.has(i)) return;
    if (validate(output)) valid++;
    if (canonicalJson(output) === canonicalJson(stage2.secondOutputs[i])) same++;
  });
  const n = stage2.outputs.length;
  return { schema: { ok: valid, n }, det: { ok: same, n } };
}

export function agreement(predicted: readonly unknown[], recorded: readonly unknown[], failed: readonly number[] = []): { ok: number; n: number } {
  const skip = new Set(failed);
  let ok = 0;
  recorded.forEach((answer, i) => {
    if (!skip.has(i) && canonicalJson(predicted[i]) === canonicalJson(answer)) ok++;
  });
  return { ok, n: recorded.length };
}

const rate = ({ ok, n }: { ok: number; n: number }) => (n === 0 ? 0 : ok / n);

export function scoresOf(counts: AxisCounts): { scores: Scores; lowerBounds: Scores } {
  return {
    scores: { schema: round3(rate(counts.schema)), det: round3(rate(counts.det)), oracle: round3(rate(counts.oracle)) },
    lowerBounds: {
      schema: round3(wilsonLowerBound(counts.schema.ok, counts.schema.n)),
      det: round3(wilsonLowerBound(counts.det.ok, counts.det.n)),
      oracle: round3(wilsonLowerBound(counts.oracle.ok, counts.oracle.n)),
    },
  };
}

/** Every reason the gate says no (empty: compiled). Thresholds compare the raw scores. */
export function gateReasons(counts: AxisCounts, gate: GateThresholds, context: { baseline: number }): string[] {
  const reasons: string[] = [];
  const check = (axis: keyof AxisCounts, what: string) => {
    const score = rate(counts[axis]);
    if (score < gate[axis]) reasons.push(`${axis} ${round3(score)} < ${gate[axis]}: ${what} (${counts[axis].ok} of ${counts[axis].n})`);
  };
  check("schema", "answers valid against the output schema on synthetic inputs");
  check("det", "same answer twice in fresh sandboxes, shuffled order");
  check("oracle", `agreement with held-out recorded answers; the constant baseline gets ${round3(context.baseline)}`);
  if (counts.oracle.n < gate.minHoldout) reasons.push(`only ${counts.oracle.n} held-out traces (need ${gate.minHoldout}): too few to trust the oracle score`);
  return reasons;
}

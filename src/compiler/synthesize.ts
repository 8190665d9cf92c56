import { canonicalJson } from "./canonical.js";
import { assignFolds, crossValidate, DEFAULT_FOLDS, mean } from "./crossValidate.js";
import { fitConstant } from "./families/constant.js";
import type { Example, Learner, Model } from "./families/model.js";
import { learnersFor } from "./learners.js";
import { emitProgram, type ProgramPart } from "./emit.js";

/** The chosen program: its source, what it is, and how well it cross-validated on the train split. */
export interface Synthesis {
  code: string;
  family: string;
  cvAgreement: number;
  complexity: number;
  /** In-process predictor of the same program (canonical JSON answers), for tests and baselines. */
  predict(input: unknown): string;
}

interface Scored {
  learner: Learner;
  correct: boolean[];
  score: number;
}

/**
 * Learns a program from train traces only: every family is k-fold cross-validated; among the
 * candidates within one standard error of the best agreement, the simplest wins.
 * Object answers with a fixed set of keys also get a per-field composition.
 */
export function synthesize(train: ReadonlyArray<{ input: unknown; output: unknown }>, options: { bucket: string; seed: number }): Synthesis {
  const n = train.length;
  const k = Math.max(2, Math.min(DEFAULT_FOLDS, n));
  const folds = assignFolds(n, k, options.seed);
  const learners = learnersFor(train.map((trace) => trace.input));
  const wholeExamples: Example[] = train.map((trace) => ({ input: trace.input, label: canonicalJson(trace.output) }));

  type Candidate = { score: number; complexity: number; family: string; parts: ProgramPart[]; predict(input: unknown): string };
  const candidates: Candidate[] = [];

  const fields = fixedObjectKeys(train.map((trace) => trace.output));
  // A one-key object is learned field-wise only: the whole-answer learners would repeat the same work.
  if (!fields || fields.length !== 1) {
    const whole = chooseLearner(learners, wholeExamples, folds, k);
    candidates.push({
      score: whole.score,
      complexity: whole.model.complexity,
      family: whole.model.family,
      parts: [{ field: null, model: whole.model, cv: whole.score }],
      predict: whole.model.predict,
    });
  }
  if (fields && fields.length > 0) {
    const perField = fields.map((field) => {
      const examples = train.map((trace) => ({ input: trace.input, label: canonicalJson((trace.output as Record<string, unknown>)[field]) }));
      return { field, ...chooseLearner(learners, examples, folds, k) };
    });
    // The composed answer is right only where every field is right.
    const correct = wholeExamples.map((_, i) => perField.every((part) => part.correct[i]));
    const predict = (input: unknown) => canonicalJson(Object.fromEntries(perField.map((part) => [part.field, JSON.parse(part.model.predict(input))])));
    candidates.push({
      score: mean(correct),
      complexity: perField.reduce((sum, part) => sum + part.model.complexity, 0),
      family: perField.length === 1 ? perField[0].model.family : `composition(${perField.map((part) => `${part.field}: ${part.model.family}`).join(", ")})`,
      parts: perField.map((part) => ({ field: part.field, model: part.model, cv: part.score })),
      predict,
    });
  }

  const chosen = simplestOfTheBest(candidates, n);
  return {
    code: emitProgram({ bucket: options.bucket, family: chosen.family, cvAgreement: chosen.score, nTrain: n, folds: k, parts: chosen.parts }),
    family: chosen.family,
    cvAgreement: chosen.score,
    complexity: chosen.complexity,
    predict: chosen.predict,
  };
}

/** Cross-validates every learner on the examples and fits the winner on all of them. */
function chooseLearner(learners: readonly Learner[], examples: readonly Example[], folds: readonly number[], k: number): { model: Model; correct: boolean[]; score: number } {
  const scored: Array<Scored & { model: Model }> = [];
  for (const learner of learners) {
    const correct = crossValidate(learner, examples, folds, k);
    const score = mean(correct);
    const model = learner.fit(examples);
    if (model) scored.push({ learner, correct, score, model });
  }
  if (scored.length === 0) {
    const model = fitConstant(examples);
    return { model, correct: examples.map((example) => model.predict(example.input) === example.label), score: 0 };
  }
  const best = simplestOfTheBest(
    scored.map((entry) => ({ ...entry, complexity: entry.model.complexity })),
    examples.length,
  );
  return { model: best.model, correct: best.correct, score: best.score };
}

/**
 * The one-standard-error rule (Breiman et al.): every candidate whose CV agreement is within one
 * standard error of the best (at least one example's worth) is as good as the best, as far as
 * the train split can tell; of those, the simplest wins (then the earlier).
 */
function simplestOfTheBest<T extends { score: number; complexity: number }>(candidates: readonly T[], n: number): T {
  const top = Math.max(...candidates.map((candidate) => candidate.score));
  const size = Math.max(1, n);
  const tolerance = Math.max(1 / size, Math.sqrt((top * (1 - top)) / size)) - 1e-9;
  const near = candidates.filter((candidate) => candidate.score >= top - tolerance);
  return near.reduce((best, candidate) => (candidate.complexity < best.complexity ? candidate : best));
}

/** The shared key set when every answer is a plain object with the same keys; else null. */
function fixedObjectKeys(outputs: readonly unknown[]): string[] | null {
  let keys: string[] | null = null;
  for (const output of outputs) {
    if (output === null || typeof output !== "object" || Array.isArray(output)) return null;
    const own = Object.keys(output);
    if (keys === null) keys = own;
    else if (own.length !== keys.length || own.some((key) => !(keys as string[]).includes(key))) return null;
  }
  return keys;
}

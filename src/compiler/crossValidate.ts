import type { Example, Learner, Model } from "./families/model.js";
import { createRng, shuffled } from "./random.js";

export const DEFAULT_FOLDS = 5;

/** What a program did with one example it was not trained on. */
export const RIGHT = 1;
export const ABSTAINED = 0;
export const WRONG = -1;
export type Outcome = typeof RIGHT | typeof ABSTAINED | typeof WRONG;

/** Fold number of each example: a seeded shuffle dealt round-robin, so folds differ by at most one. */
export function assignFolds(n: number, k: number, seed: number): number[] {
  const order = shuffled(
    Array.from({ length: n }, (_, i) => i),
    createRng(seed ^ 0x5f0d),
  );
  const folds = new Array<number>(n);
  order.forEach((index, position) => (folds[index] = position % k));
  return folds;
}

export function outcomeOf(predicted: string | undefined, label: string): Outcome {
  return predicted === undefined ? ABSTAINED : predicted === label ? RIGHT : WRONG;
}

/**
 * Out-of-fold outcome of a learner: for each example, what the model fit on the other folds did
 * with it. A learner that cannot fit a fold abstains there.
 */
export function crossValidate(learner: Learner, examples: readonly Example[], folds: readonly number[], k: number): Outcome[] {
  const outcomes = new Array<Outcome>(examples.length).fill(ABSTAINED);
  for (let fold = 0; fold < k; fold++) {
    const train = examples.filter((_, i) => folds[i] !== fold);
    if (train.length === 0) continue;
    let model: Model | null;
    try {
      model = learner.fit(train);
    } catch {
      model = null;
    }
    if (!model) continue;
    examples.forEach((example, i) => {
      if (folds[i] === fold) outcomes[i] = outcomeOf(model.predict(example.input), example.label);
    });
  }
  return outcomes;
}

/**
 * Utility of a set of outcomes per example: a right answer earns 1, an abstention 0, and a wrong
 * answer costs `errorCost` (the gate's agreement a gives errorCost = a / (1 - a): answering pays
 * only where the chance of being right is above a), with its standard error.
 */
export function utility(outcomes: readonly Outcome[], errorCost: number): { mean: number; se: number } {
  const n = outcomes.length;
  if (n === 0) return { mean: 0, se: 0 };
  const values = outcomes.map((outcome) => (outcome === RIGHT ? 1 : outcome === WRONG ? -errorCost : 0));
  const mean = values.reduce((sum, value) => sum + value, 0) / n;
  const variance = values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / Math.max(1, n - 1);
  return { mean, se: Math.sqrt(variance / n) };
}

import type { Example, Learner, Model } from "./families/model.js";
import { createRng, shuffled } from "./random.js";

export const DEFAULT_FOLDS = 5;

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

/**
 * Out-of-fold correctness of a learner: for each example, was it answered right by the model fit
 * on the other folds? (A learner that cannot fit a fold answers nothing right there.)
 */
export function crossValidate(learner: Learner, examples: readonly Example[], folds: readonly number[], k: number): boolean[] {
  const correct = new Array<boolean>(examples.length).fill(false);
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
      if (folds[i] === fold) correct[i] = model.predict(example.input) === example.label;
    });
  }
  return correct;
}

export function mean(flags: readonly boolean[]): number {
  return flags.length === 0 ? 0 : flags.filter(Boolean).length / flags.length;
}

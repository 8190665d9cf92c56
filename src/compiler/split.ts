import { createRng, shuffled } from "./random.js";

export const HOLDOUT_SHARE = 0.3;

/**
 * Seeded train/holdout split. The holdout is set aside before synthesis and used only for the
 * oracle score: no learner, fold or selection step ever sees it.
 */
export function splitTrainHoldout<T>(items: readonly T[], seed: number, share = HOLDOUT_SHARE): { train: T[]; holdout: T[] } {
  const order = shuffled(
    items.map((_, i) => i),
    createRng(seed ^ 0x9e3779b9),
  );
  const nHoldout = items.length < 4 ? 0 : Math.max(1, Math.round(items.length * share));
  const holdoutIndexes = new Set(order.slice(0, nHoldout));
  const train: T[] = [];
  const holdout: T[] = [];
  // Keep the original (time) order inside each side.
  items.forEach((item, i) => (holdoutIndexes.has(i) ? holdout : train).push(item));
  return { train, holdout };
}

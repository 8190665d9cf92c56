import { assignFolds } from "../crossValidate.js";
import { accessorSource, memoByInput, readPath, textFeatures, type Path } from "../features.js";
import { abstainLine, type Learner, type Model } from "./model.js";

/** Features seen fewer times than this say more about the train split than about the labels. */
const MIN_FEATURE_COUNT = 2;
const MAX_FEATURES = 3000;
/** Add-one (Laplace) smoothing of word counts. */
const SMOOTHING = 1;
/** Answered calls must agree this often, out of fold, at the calibrated margin. */
const TARGET_PRECISION = 0.95;
const CALIBRATION_FOLDS = 3;
/** Weights are rounded so the emitted table reads well and sums the same in JS as here. */
const round4 = (x: number) => Math.round(x * 10_000) / 10_000;

interface Fitted {
  labels: string[];
  prior: number[];
  weights: Map<string, number[]>;
}

/**
 * Multinomial naive Bayes over the words and word pairs of free-text fields, for many labels. It
 * answers only when the best label's log-score beats the runner-up by a margin calibrated out of
 * fold on the training window (the smallest margin at which answered calls agreed >= 95 %).
 */
export function textClassifierLearner(textPaths: readonly Path[]): Learner {
  const featuresOf = memoByInput((input: unknown) => textFeatures(...textPaths.map((path) => readPath(input, path))));
  return {
    family: "text_classifier",
    variant: "text_classifier",
    fit(examples) {
      if (textPaths.length === 0 || examples.length < 2 * CALIBRATION_FOLDS) return null;
      const rows = examples.map((example) => ({ features: featuresOf(example.input), label: example.label }));
      if (new Set(rows.map((row) => row.label)).size < 2) return null;
      const margin = calibrateMargin(rows);
      if (margin === null) return null;
      const fitted = train(rows);
      const model: Model = {
        family: "text_classifier",
        complexity: 6 + fitted.weights.size / 1000,
        predict(input) {
          const scored = score(fitted, featuresOf(input));
          return scored && scored.margin >= margin ? fitted.labels[scored.best] : undefined;
        },
        emit({ constStem }) {
          const names = { labels: `${constStem}_LABELS`, prior: `${constStem}_PRIOR`, weights: `${constStem}_WEIGHTS` };
          const weightRows = [...fitted.weights].map(([feature, weights]) => `  ${JSON.stringify(feature)}: [${weights.join(", ")}],`);
          return {
            summary: `naive Bayes text classifier over words and word pairs of ${textPaths.map(accessorSource).join(", ")} (${fitted.labels.length} labels, ${fitted.weights.size} features, ${examples.length} train traces); answers when the best label beats the next by ${margin}`,
            declarations: [
              `const ${names.labels} = [${fitted.labels.join(", ")}];`,
              `// Log prior of each label, then each feature's log-likelihood per label (add-one smoothed).`,
              `const ${names.prior} = [${fitted.prior.join(", ")}];`,
              `const ${names.weights} = {\n${weightRows.join("\n")}\n};`,
            ],
            body: [
              `const scores = ${names.prior}.slice();`,
              "let known = 0;",
              `for (const feature of textFeatures(${textPaths.map(accessorSource).join(", ")})) {`,
              `  if (!Object.hasOwn(${names.weights}, feature)) continue;`,
              `  const weights = ${names.weights}[feature];`,
              "  for (let i = 0; i < scores.length; i++) scores[i] += weights[i];",
              "  known++;",
              "}",
              `if (known === 0) ${abstainLine("no word the recorded calls showed")}`,
              "let best = 0;",
              "let second = -1;",
              "for (let i = 1; i < scores.length; i++) {",
              "  if (scores[i] > scores[best]) { second = best; best = i; } else if (second < 0 || scores[i] > scores[second]) second = i;",
              "}",
              `if (scores[best] - scores[second] < ${margin}) ${abstainLine("the best label does not stand out enough")}`,
              `return ${names.labels}[best];`,
            ],
            helpers: ["textFeatures"],
          };
        },
      };
      return model;
    },
  };
}

function train(rows: ReadonlyArray<{ features: string[]; label: string }>): Fitted {
  const labels = [...new Set(rows.map((row) => row.label))].sort();
  const index = new Map(labels.map((label, i) => [label, i]));
  const documentFrequency = new Map<string, number>();
  for (const row of rows) for (const feature of row.features) documentFrequency.set(feature, (documentFrequency.get(feature) ?? 0) + 1);
  const vocabulary = [...documentFrequency]
    .filter(([, count]) => count >= MIN_FEATURE_COUNT)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, MAX_FEATURES)
    .map(([feature]) => feature);
  const inVocabulary = new Set(vocabulary);
  const counts = new Map(vocabulary.map((feature) => [feature, new Array<number>(labels.length).fill(0)]));
  const totals = new Array<number>(labels.length).fill(0);
  const docs = new Array<number>(labels.length).fill(0);
  for (const row of rows) {
    const at = index.get(row.label) as number;
    docs[at]++;
    for (const feature of row.features) {
      if (!inVocabulary.has(feature)) continue;
      (counts.get(feature) as number[])[at]++;
      totals[at]++;
    }
  }
  const weights = new Map<string, number[]>();
  for (const feature of vocabulary) {
    const perLabel = counts.get(feature) as number[];
    weights.set(
      feature,
      perLabel.map((count, at) => round4(Math.log((count + SMOOTHING) / (totals[at] + SMOOTHING * vocabulary.length)))),
    );
  }
  return { labels, prior: docs.map((count) => round4(Math.log(count / rows.length))), weights };
}

/** Sums in the same order as the emitted JS (features in first-seen order, labels in order). */
function score(fitted: Fitted, features: readonly string[]): { best: number; margin: number } | null {
  const scores = fitted.prior.slice();
  let known = 0;
  for (const feature of features) {
    const weights = fitted.weights.get(feature);
    if (!weights) continue;
    for (let i = 0; i < scores.length; i++) scores[i] += weights[i];
    known++;
  }
  if (known === 0) return null;
  let best = 0;
  let second = -1;
  for (let i = 1; i < scores.length; i++) {
    if (scores[i] > scores[best]) {
      second = best;
      best = i;
    } else if (second < 0 || scores[i] > scores[second]) second = i;
  }
  return { best, margin: scores[best] - scores[second] };
}

/**
 * The smallest margin at which out-of-fold answers agree >= TARGET_PRECISION (null: none does).
 * Rounded up so the emitted literal never lets through a call the calibration did not.
 */
function calibrateMargin(rows: ReadonlyArray<{ features: string[]; label: string }>): number | null {
  const folds = assignFolds(rows.length, CALIBRATION_FOLDS, 0x7e57);
  const scored: Array<{ margin: number; correct: boolean }> = [];
  for (let fold = 0; fold < CALIBRATION_FOLDS; fold++) {
    const fitted = train(rows.filter((_, i) => folds[i] !== fold));
    rows.forEach((row, i) => {
      if (folds[i] !== fold) return;
      const result = score(fitted, row.features);
      if (result) scored.push({ margin: result.margin, correct: fitted.labels[result.best] === row.label });
    });
  }
  // Walk from the most confident down; keep the lowest margin whose answered set is still precise.
  scored.sort((a, b) => b.margin - a.margin);
  let correct = 0;
  let chosen: number | null = null;
  scored.forEach((entry, i) => {
    if (entry.correct) correct++;
    const next = scored[i + 1];
    // Only cut between distinct margins, and only with a handful of answers behind the estimate.
    if (i + 1 >= 5 && (!next || next.margin < entry.margin) && correct >= TARGET_PRECISION * (i + 1)) chosen = entry.margin;
  });
  return chosen === null ? null : Math.ceil((chosen as number) * 1000) / 1000;
}



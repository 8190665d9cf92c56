import { constantLearner } from "./families/constant.js";
import { decisionListLearner } from "./families/decisionList.js";
import { decisionTreeLearner } from "./families/decisionTree.js";
import { fieldCopyLearner } from "./families/fieldCopy.js";
import { lookupLearner } from "./families/lookup.js";
import type { Learner } from "./families/model.js";
import { stringTransformLearner } from "./families/stringTransform.js";
import { textClassifierLearner } from "./families/textClassifier.js";
import { leafPaths, readPath, type KeyNormaliser, type Path } from "./features.js";

const MAX_CATEGORIES = 30;
/** A number with this few distinct values may be a code (a plan id, a star rating): a lookup may read it. */
const MAX_NUMERIC_CODES = 12;
/**
 * Most forgiving first: when normalisers tie, the one that also matches "U.S.A. " to "usa" wins,
 * since unseen spellings are what live inputs bring.
 */
const LOOKUP_NORMALISERS: KeyNormaliser[] = ["compact", "trimLower", "exact"];

/**
 * Every candidate learner for a bucket, from the shapes of its train inputs: which fields are
 * numbers, categories, flags, or free text. Looking at inputs (never answers) leaks nothing.
 */
export function learnersFor(inputs: readonly unknown[]): Learner[] {
  const paths = leafPaths(inputs);
  const numeric: Path[] = [];
  const numericCodes: Path[] = [];
  const categorical: Path[] = [];
  const boolean: Path[] = [];
  const text: Path[] = [];
  const strings: Path[] = [];
  /** Sentences (three words or more on average), as opposed to short values with many spellings. */
  const sentences: Path[] = [];
  for (const path of paths) {
    const values = inputs.map((input) => readPath(input, path)).filter((value) => value !== undefined && value !== null);
    if (values.length === 0) continue;
    if (values.every((value) => typeof value === "number")) {
      numeric.push(path);
      if (new Set(values).size <= MAX_NUMERIC_CODES) numericCodes.push(path);
    } else if (values.every((value) => typeof value === "boolean")) boolean.push(path);
    else if (values.every((value) => typeof value === "string")) {
      strings.push(path);
      const distinct = new Set(values).size;
      const meanWords = values.reduce<number>((sum, value) => sum + (value as string).split(/\s+/).length, 0) / values.length;
      if (meanWords >= 3) {
        text.push(path);
        sentences.push(path);
      }
      else if (distinct <= MAX_CATEGORIES) categorical.push(path);
      else text.push(path);
    }
  }
  const learners: Learner[] = [constantLearner, fieldCopyLearner(paths), stringTransformLearner(strings)];
  // Sentences rarely repeat word for word: a table of them would only ever abstain.
  for (const path of strings) if (!sentences.includes(path)) for (const normaliser of LOOKUP_NORMALISERS) learners.push(lookupLearner(path, normaliser));
  // Numbers get thresholds (the tree), not a table per value, unless they look like codes.
  for (const path of [...numericCodes, ...boolean]) learners.push(lookupLearner(path, "exact"));
  // Rules read every string field: a ticket's short subject says as much as its body.
  if (strings.length > 0 || boolean.length > 0) learners.push(decisionListLearner({ text: strings, categorical, boolean }));
  learners.push(decisionTreeLearner({ numeric, categorical, boolean, text }));
  if (strings.length > 0) learners.push(textClassifierLearner(strings));
  return learners;
}

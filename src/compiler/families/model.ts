import type { Helper } from "../features.js";

/** One training example of a scalar target: `label` is the canonical JSON of the answer. */
export interface Example {
  input: unknown;
  label: string;
}

export type Family = "none" | "constant" | "field_copy" | "string_transform" | "lookup" | "decision_list" | "decision_tree" | "text_classifier";

/**
 * A learned program: predicts in process while learning, and emits the JS that does the same.
 * `predict` returns the canonical JSON of the answer, or `undefined` to abstain: the program has no
 * evidence for this input and the caller must ask the model (the emitted code returns `undefined`).
 */
export interface Model {
  family: Family;
  /** Lower is simpler; breaks ties between candidates that cross-validate equally well. */
  complexity: number;
  predict(input: unknown): string | undefined;
  emit(names: EmitNames): Emitted;
}

/** Names an emitted fragment may use for its top-level declarations, unique per output field. */
export interface EmitNames {
  /** Upper-case stem for tables, e.g. "CODE" gives CODE_BY_COUNTRY. */
  constStem: string;
}

export interface Emitted {
  /** One-line description for the comment above the function. */
  summary: string;
  /** Function body lines (unindented); the last one returns. */
  body: string[];
  /** Top-level declarations (lookup tables) the body refers to. */
  declarations: string[];
  helpers: Helper[];
}

export interface Learner {
  family: Family;
  /** Distinguishes variants of a family, e.g. which field and normaliser a lookup uses. */
  variant: string;
  fit(examples: readonly Example[]): Model | null;
}

/** The most common label (ties: the smaller label, so results never depend on input order). */
export function majority(labels: readonly string[]): { label: string; count: number } {
  const counts = new Map<string, number>();
  for (const label of labels) counts.set(label, (counts.get(label) ?? 0) + 1);
  let best = { label: "null", count: 0 };
  for (const [label, count] of counts) {
    if (count > best.count || (count === best.count && label < best.label)) best = { label, count };
  }
  return best;
}

export function supportComment(correct: number, total: number, what = "train traces"): string {
  return `// ${correct} of ${total} ${what}`;
}

/** The emitted statement of an abstention, with why. */
export function abstainLine(why: string): string {
  return `return undefined; // abstain: ${why}`;
}

import { canonicalJson } from "./canonical.js";
import { ABSTAINED, assignFolds, crossValidate, DEFAULT_FOLDS, outcomeOf, RIGHT, utility, type Outcome } from "./crossValidate.js";
import { emitProgram, type ProgramPart } from "./emit.js";
import { evaluationOrigins, type EvaluatedCall } from "./evaluate.js";
import type { Example, Learner, Model } from "./families/model.js";
import { abstainLine, majority } from "./families/model.js";
import { learnersFor } from "./learners.js";
import { DEFAULT_GATE } from "./types.js";

/** The chosen program: its source, what it is, and how the learning procedure did on later traces. */
export interface Synthesis {
  code: string;
  family: string;
  /** Share of the selection record (out of fold on the first window, then every later block) answered right. */
  cvAgreement: number;
  complexity: number;
  /** In-process predictor of the same program: canonical JSON answers, `undefined` to abstain. */
  predict(input: unknown): string | undefined;
  /**
   * Forward-chaining evaluation of the procedure: each later trace as answered by the program
   * selected and fit only on the traces before its block (see evaluate.ts).
   */
  calls: EvaluatedCall[];
}

export interface SynthesisOptions {
  bucket: string;
  seed: number;
  /** Cost of a wrong answer in right answers (default: from the gate's agreement threshold, 0.9 / 0.1 = 9). */
  errorCost?: number;
}

/** How much less (as a share of examples) a simpler candidate may answer and still count as near the best. */
const SIMPLER_MAY_ANSWER_LESS = 0.1;

/** One learner's record on a target: out-of-fold on the first window, then forward on each block. */
interface Record {
  learner: Learner;
  initial: Outcome[];
  /** Per block: predictions (canonical JSON or undefined) and outcomes. */
  blocks: Array<{ predictions: Array<string | undefined>; outcomes: Outcome[] }>;
}

/**
 * Learns a program from traces in time order, selecting the family prequentially: the first half
 * is cross-validated; each later block is answered by every learner fit on the traces before it;
 * the learner for block j is the one with the best utility (right 1, abstain 0, wrong -errorCost)
 * on the record before j, the simplest within one standard error. The final program is the one
 * the whole record selects, fit on every trace. Object answers with a fixed set of keys are
 * learned per field and abstain when any field does.
 */
export function synthesize(ordered: ReadonlyArray<{ input: unknown; output: unknown }>, synthesisOptions: SynthesisOptions): Synthesis {
  const errorCost = synthesisOptions.errorCost ?? DEFAULT_GATE.agreement / (1 - DEFAULT_GATE.agreement);
  const n = ordered.length;
  const origins = evaluationOrigins(n);
  const firstWindow = origins[0] ?? n;
  const k = Math.max(2, Math.min(DEFAULT_FOLDS, firstWindow));
  const folds = assignFolds(firstWindow, k, synthesisOptions.seed);
  const learners = learnersFor(ordered.map((trace) => trace.input));
  const fields = fixedObjectKeys(ordered.map((trace) => trace.output));
  const targets: Array<{ field: string | null; examples: Example[] }> = fields
    ? fields.map((field) => ({ field, examples: ordered.map((trace) => ({ input: trace.input, label: canonicalJson((trace.output as { [key: string]: unknown })[field]) })) }))
    : [{ field: null, examples: ordered.map((trace) => ({ input: trace.input, label: canonicalJson(trace.output) })) }];

  const perTarget = targets.map((target) => {
    const records = learners.map((learner) => recordOf(learner, target.examples, origins, folds, k));
    // Block j is answered by the learner the record before j selects.
    const blockPredictions = origins.map((_, j) => {
      const chosen = select(records, j, errorCost);
      return chosen ? chosen.blocks[j].predictions : [];
    });
    const finalRecord = select(records, origins.length, errorCost);
    // Nothing beat abstaining: the program for this target says nothing, rather than guess.
    const model = (finalRecord && finalRecord.learner.fit(target.examples)) || abstainingModel();
    const outcomes = finalRecord ? recordOutcomes(finalRecord, origins.length) : [];
    return { field: target.field, blockPredictions, model, cv: agreementOf(outcomes) };
  });

  // The procedure's answer on each later trace: every field's block prediction, composed.
  const calls: EvaluatedCall[] = [];
  origins.forEach((origin, j) => {
    const end = origins[j + 1] ?? n;
    const baseline = majority(ordered.slice(0, origin).map((trace) => canonicalJson(trace.output))).label;
    for (let i = origin; i < end; i++) {
      const parts = perTarget.map((target) => target.blockPredictions[j][i - origin]);
      calls.push({ predicted: compose(perTarget.map((target) => target.field), parts), recorded: canonicalJson(ordered[i].output), baseline });
    }
  });

  const parts: ProgramPart[] = perTarget.map((target) => ({ field: target.field, model: target.model, cv: target.cv }));
  const family = parts.length === 1 ? parts[0].model.family : `composition(${parts.map((part) => `${part.field}: ${part.model.family}`).join(", ")})`;
  const cvAgreement = perTarget.reduce((low, target) => Math.min(low, target.cv), 1);
  const predict = (input: unknown) =>
    compose(
      perTarget.map((target) => target.field),
      perTarget.map((target) => target.model.predict(input)),
    );
  return {
    code: emitProgram({ bucket: synthesisOptions.bucket, family, cvAgreement, nTrain: n, folds: k, parts }),
    family,
    cvAgreement,
    complexity: perTarget.reduce((sum, target) => sum + target.model.complexity, 0),
    predict,
    calls,
  };
}

/** The program of a target no learner could answer better than silence on. */
function abstainingModel(): Model {
  return {
    family: "none",
    complexity: 0,
    predict: () => undefined,
    emit: () => ({ summary: "no learner did better than abstaining", body: [abstainLine("nothing learned answers this better than the model")], declarations: [], helpers: [] }),
  };
}

/** A whole answer from its fields' answers (null field: the answer itself); undefined if any abstains. */
function compose(fields: ReadonlyArray<string | null>, parts: ReadonlyArray<string | undefined>): string | undefined {
  if (parts.some((part) => part === undefined)) return undefined;
  if (fields.length === 1 && fields[0] === null) return parts[0];
  return canonicalJson(Object.fromEntries(fields.map((field, i) => [field, JSON.parse(parts[i] as string)])));
}

function recordOf(learner: Learner, examples: readonly Example[], origins: readonly number[], folds: readonly number[], k: number): Record {
  const first = origins[0] ?? examples.length;
  const initial = crossValidate(learner, examples.slice(0, first), folds, k);
  const blocks = origins.map((origin, j) => {
    const end = origins[j + 1] ?? examples.length;
    const block = examples.slice(origin, end);
    let model: Model | null = null;
    try {
      model = learner.fit(examples.slice(0, origin));
    } catch {
      model = null;
    }
    const predictions = block.map((example) => (model ? model.predict(example.input) : undefined));
    return { predictions, outcomes: block.map((example, i) => outcomeOf(predictions[i], example.label)) };
  });
  return { learner, initial, blocks };
}

/** The selection record before block j: out of fold on the first window, then blocks 0..j-1. */
function recordOutcomes(record: Record, j: number): Outcome[] {
  return [...record.initial, ...record.blocks.slice(0, j).flatMap((block) => block.outcomes)];
}

/**
 * The one-standard-error rule (Breiman et al.) on utility: every learner within one standard error
 * of the best, answering about as much, is as good as far as the record can tell; of those, the
 * simplest (then the earlier). A learner that does worse than always abstaining is no candidate.
 */
function select(records: readonly Record[], j: number, errorCost: number): Record | null {
  const scored = records
    .map((record) => ({ record, outcomes: recordOutcomes(record, j) }))
    .map((entry) => ({ ...entry, score: utility(entry.outcomes, errorCost), complexity: complexityOf(entry.record) }))
    // Worse than saying nothing (utility <= 0: abstaining scores 0) is no candidate.
    .filter((entry) => entry.score.mean > 0);
  if (scored.length === 0) return null;
  let top = scored[0];
  for (const entry of scored) if (entry.score.mean > top.score.mean) top = entry;
  const n = Math.max(1, top.outcomes.length);
  const tolerance = Math.max(1 / n, top.score.se) - 1e-9;
  const answered = (outcomes: readonly Outcome[]) => outcomes.filter((outcome) => outcome !== ABSTAINED).length / Math.max(1, outcomes.length);
  const floor = answered(top.outcomes) - SIMPLER_MAY_ANSWER_LESS;
  let best = top;
  for (const entry of scored) {
    if (entry.score.mean >= top.score.mean - tolerance && answered(entry.outcomes) >= floor && entry.complexity < best.complexity) best = entry;
  }
  return best.record;
}

/** Complexity of a learner's family (a fitted model's complexity also counts its size; families order first). */
const FAMILY_COMPLEXITY: { [family: string]: number } = {
  constant: 1,
  field_copy: 2,
  string_transform: 2.5,
  lookup: 3,
  decision_list: 4,
  decision_tree: 5,
  text_classifier: 6,
};
const complexityOf = (record: Record) => FAMILY_COMPLEXITY[record.learner.family] ?? 10;

function agreementOf(outcomes: readonly Outcome[]): number {
  return outcomes.length === 0 ? 0 : outcomes.filter((outcome) => outcome === RIGHT).length / outcomes.length;
}

/** The shared key set when every answer is a plain object with the same keys; else null. */
function fixedObjectKeys(outputs: readonly unknown[]): string[] | null {
  let keys: string[] | null = null;
  for (const output of outputs) {
    if (output === null || typeof output !== "object" || Array.isArray(output)) return null;
    const own = Object.keys(output);
    if (own.length === 0) return null;
    if (keys === null) keys = own;
    else if (own.length !== keys.length || own.some((key) => !(keys as string[]).includes(key))) return null;
  }
  return keys;
}



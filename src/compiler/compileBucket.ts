import { canonicalJson } from "./canonical.js";
import { checkCode } from "./codeCheck.js";
import { outcomeOf, utility } from "./crossValidate.js";
import { countEvaluation, evaluationOrigins, inTimeOrder, type EvaluatedCall } from "./evaluate.js";
import { majority } from "./families/model.js";
import { decide, estimate, robustnessCount, stage2Counts } from "./gate.js";
import { llmConfigFromEnv, proposeWithLlm } from "./llm.js";
import { createLocalStage2Runner } from "./sandbox/localRunner.js";
import { createQuickJsRunner } from "./sandbox/quickjsRunner.js";
import { inferSchema } from "./schema.js";
import { round3 } from "./stats.js";
import { synthesize } from "./synthesize.js";
import { copiedFields, perturbations, syntheticInputs } from "./synthetic.js";
import { DEFAULT_GATE, type CompileOptions, type CompileResult, type LlmConfig, type Stage2Output, type Trace } from "./types.js";

export const SYNTHETIC_COUNT = 1000;
const REFUSED_PROPOSAL = "llm: proposal failed the code check: ";
/** Below this, there is nothing to learn from and nothing to evaluate on. */
export const MIN_TRACES = 10;
/** Recorded inputs the sandboxed code is checked against the learned program on. */
const MAX_CONSISTENCY_CHECKS = 500;

const isEmptySchema = (schema: object | undefined) => !schema || Object.keys(schema).length === 0;

/**
 * The whole compile of one bucket: forward-chaining evaluation of the learning procedure (each later
 * block answered by a program selected and fit only on the traces before it), the final program fit
 * on every trace, the code check (a positive grammar, codeCheck.ts), stage 2 in a sandbox (schema,
 * det, robustness, abstention on new inputs, agreement of the emitted code with the learned
 * program), then the gate's verdict.
 */
export async function compileBucket(traces: Trace[], opts: CompileOptions): Promise<CompileResult> {
  const seed = opts.seed ?? 1;
  const gate = { ...DEFAULT_GATE, ...opts.gate };
  const errorCost = gate.agreement / Math.max(1e-9, 1 - gate.agreement);
  const mine = inTimeOrder(traces.filter((trace) => trace.bucket === opts.bucket));
  const outputSchema = isEmptySchema(opts.outputSchema) ? inferSchema(mine.map((trace) => trace.output), { enums: true }) : (opts.outputSchema as object);
  const inputSchema = isEmptySchema(opts.inputSchema) ? inferSchema(mine.map((trace) => trace.input), { enums: false }) : (opts.inputSchema as object);
  const base = { bucket: opts.bucket, nTrain: mine.length, nTraces: mine.length };
  if (mine.length < MIN_TRACES) return rejectedEarly({ ...base, nHoldout: 0 }, "none", [`only ${mine.length} traces (need ${MIN_TRACES}) to learn from and evaluate on`], "");
  opts.signal?.throwIfAborted();

  opts.onStage?.("synthesize");
  const options = { bucket: opts.bucket, seed, errorCost };
  const final = synthesize(mine, options);
  let calls = final.calls;
  let code = final.code;
  let family = final.family;
  let origin: CompileResult["origin"] = "template";
  const notes: string[] = [];

  const llm = opts.llm === false ? null : (opts.llm ?? llmConfigFromEnv());
  if (llm) {
    const challenger = await llmChallenger(llm, mine, calls, { ...opts, inputSchema, outputSchema });
    if (!challenger.ok) notes.push(`llm: ${challenger.reason}`);
    else {
      const template = utility(calls.map((call) => outcomeOf(call.predicted, call.recorded)), errorCost).mean;
      const proposed = utility(challenger.calls.map((call) => outcomeOf(call.predicted, call.recorded)), errorCost).mean;
      // The proposal wins only by more than one call's worth: ties go to the readable template.
      if (proposed > template + 1 / Math.max(1, calls.length)) {
        ({ code, calls } = challenger);
        family = "llm";
        origin = "llm";
      } else notes.push(`llm: the proposal's utility on later calls was ${round3(proposed)}, not better than ${family}'s ${round3(template)}`);
    }
  }
  // Whatever wrote it (a template family or the LLM), code that fails the grammar never runs.
  const grammar = checkCode(code);
  if (!grammar.ok) return rejectedEarly({ ...base, nHoldout: calls.length }, family, grammar.reasons.map((reason) => `code check: ${reason}`), code, origin);
  opts.signal?.throwIfAborted();

  opts.onStage?.("stage2", 0);
  const observed = mine.map((trace) => trace.input);
  const synthetic = syntheticInputs(observed, inputSchema, opts.syntheticCount ?? SYNTHETIC_COUNT, seed);
  const changed = perturbations(observed, copiedFields(mine), seed);
  const checked = origin === "template" ? distinctInputs(observed).slice(0, MAX_CONSISTENCY_CHECKS) : [];
  const inputs = [...synthetic, ...changed.map((pair) => pair.original), ...changed.map((pair) => pair.perturbed), ...checked];
  const quickjs = origin === "llm" ? createQuickJsRunner() : null;
  const runner = quickjs ?? opts.stage2 ?? createLocalStage2Runner();
  const stage2 = await runner.run(code, inputs, (done) => opts.onStage?.("stage2", inputs.length ? done / inputs.length : 1));
  opts.signal?.throwIfAborted();

  opts.onStage?.("gate");
  const all = inputs.map((_, i) => i);
  const { schema, det } = stage2Counts(stage2, outputSchema, all);
  const nSynthetic = synthetic.length;
  const robustness = robustnessCount(
    stage2,
    changed.map((_, i) => ({ original: nSynthetic + i, perturbed: nSynthetic + changed.length + i })),
  );
  const abstainedSet = new Set(stage2.abstained);
  const checkOffset = nSynthetic + 2 * changed.length;
  const mismatches = checked.filter((input, i) => sandboxAnswer(stage2, checkOffset + i, abstainedSet) !== final.predict(input)).length;
  const recordedAnswers = mine.map((trace) => canonicalJson(trace.output));
  const evaluation = countEvaluation(calls);
  const decision = decide(
    {
      evaluation,
      schema,
      det,
      robustness,
      allSame: new Set(recordedAnswers).size === 1,
      commonAnswer: majority(recordedAnswers).label,
      sandboxErrors: { count: stage2.errors, first: stage2.firstError },
      mismatches,
    },
    gate,
  );
  const robust = estimate(robustness);
  // A program that abstained on every synthetic input gave no answer that could break the schema.
  const scores = { schema: schema.n === 0 ? { ...estimate(schema), rate: 1, lowerBound: 1, upperBound: 1 } : estimate(schema), det: estimate(det) };
  return {
    ...base,
    nHoldout: evaluation.evaluated,
    verdict: decision.verdict,
    scores: { schema: scores.schema.rate, det: scores.det.rate, oracle: decision.selective.rate, robustness: robust.rate },
    lowerBounds: { schema: scores.schema.lowerBound, det: scores.det.lowerBound, oracle: decision.selective.lowerBound, robustness: robust.lowerBound },
    coverage: decision.coverage,
    selective: decision.selective,
    oracleLowerBound: decision.selective.lowerBound,
    baseline: round3(evaluation.evaluated ? evaluation.baselineCorrect / evaluation.evaluated : 0),
    liftPValue: decision.liftPValue,
    novel: {
      synthetic: opts.syntheticCount ?? SYNTHETIC_COUNT,
      distinct: nSynthetic,
      unseen: nSynthetic,
      abstained: synthetic.filter((_, i) => abstainedSet.has(i)).length,
    },
    family,
    origin,
    cvAgreement: round3(final.cvAgreement),
    // A proposal the code check refused is part of why nothing better was served: a reason, not a side note.
    reasons: decision.verdict === "compiled" ? decision.reasons : [...decision.reasons, ...notes.filter((note) => note.startsWith(REFUSED_PROPOSAL))],
    notes,
    code,
  };
}

function sandboxAnswer(stage2: Stage2Output, index: number, abstained: ReadonlySet<number>): string | undefined {
  if (stage2.failed.includes(index)) return "~failed";
  return abstained.has(index) ? undefined : canonicalJson(stage2.outputs[index]);
}

function distinctInputs(inputs: readonly unknown[]): unknown[] {
  return [...new Map(inputs.map((input) => [canonicalJson(input), input])).values()];
}

/**
 * The LLM sees only the traces before the first evaluation block, so its proposal is scored on the
 * same later calls as the template procedure, none of which it saw. Run in QuickJS.
 */
async function llmChallenger(
  llm: LlmConfig,
  ordered: readonly Trace[],
  calls: readonly EvaluatedCall[],
  opts: CompileOptions & { inputSchema: object; outputSchema: object },
): Promise<{ ok: true; code: string; calls: EvaluatedCall[] } | { ok: false; reason: string }> {
  const start = evaluationOrigins(ordered.length)[0] ?? ordered.length;
  const proposal = await proposeWithLlm(llm, { bucket: opts.bucket, train: ordered.slice(0, start), inputSchema: opts.inputSchema, outputSchema: opts.outputSchema, signal: opts.signal });
  if (!proposal.ok) return proposal;
  const checked = checkCode(proposal.code);
  if (!checked.ok) return { ok: false, reason: `proposal failed the code check: ${checked.reasons.join("; ")}` };
  const later = ordered.slice(start);
  const result = await createQuickJsRunner().runOnce(
    proposal.code,
    later.map((trace) => trace.input),
  );
  if (later.length > 0 && result.errors === later.length) return { ok: false, reason: `proposal failed every call (${result.firstError ?? "error"})` };
  const abstained = new Set(result.abstained);
  return {
    ok: true,
    code: proposal.code,
    // A call that threw counts as a wrong answer: the caller would have had nothing usable.
    calls: later.map((trace, i) => ({ predicted: sandboxAnswer(result, i, abstained), recorded: calls[i].recorded, baseline: calls[i].baseline })),
  };
}

function rejectedEarly(base: Pick<CompileResult, "bucket" | "nTrain" | "nHoldout" | "nTraces">, family: string, reasons: string[], code: string, origin: CompileResult["origin"] = "template"): CompileResult {
  const zero = { schema: 0, det: 0, oracle: 0, robustness: 0 };
  const none = estimate({ ok: 0, n: 0 });
  return {
    ...base,
    verdict: "rejected",
    scores: zero,
    lowerBounds: zero,
    coverage: none,
    selective: none,
    oracleLowerBound: 0,
    baseline: 0,
    liftPValue: 1,
    novel: { synthetic: 0, distinct: 0, unseen: 0, abstained: 0 },
    family,
    origin,
    cvAgreement: 0,
    reasons,
    notes: [],
    code,
  };
}

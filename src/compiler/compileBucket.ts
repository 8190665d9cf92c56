import { checkAllowlist } from "./allowlist.js";
import { canonicalJson } from "./canonical.js";
import { majority } from "./families/model.js";
import { agreement, gateReasons, scoresOf, stage2Counts, type AxisCounts } from "./gate.js";
import { llmConfigFromEnv, proposeWithLlm } from "./llm.js";
import { createLocalStage2Runner, evaluateOnce } from "./sandbox/localRunner.js";
import { createQuickJsRunner } from "./sandbox/quickjsRunner.js";
import { inferSchema } from "./schema.js";
import { splitTrainHoldout } from "./split.js";
import { round3 } from "./stats.js";
import { synthesize } from "./synthesize.js";
import { syntheticInputs } from "./synthetic.js";
import { DEFAULT_GATE, type CompileOptions, type CompileResult, type Stage2Output, type Trace } from "./types.js";

export const SYNTHETIC_COUNT = 1000;
/** Below this, there is nothing to learn from and nothing to hold out. */
export const MIN_TRACES = 10;

const isEmptySchema = (schema: object | undefined) => !schema || Object.keys(schema).length === 0;

/**
 * The whole compile of one bucket: split, synthesize (train only), allowlist, stage 2 on 1000
 * synthetic inputs (schema, det), oracle on the held-out split, gate. Pure apart from the sandboxes.
 */
export async function compileBucket(traces: Trace[], opts: CompileOptions): Promise<CompileResult> {
  const seed = opts.seed ?? 1;
  const gate = { ...DEFAULT_GATE, ...opts.gate };
  const mine = traces.filter((trace) => trace.bucket === opts.bucket);
  const outputSchema = isEmptySchema(opts.outputSchema) ? inferSchema(mine.map((trace) => trace.output), { enums: true }) : (opts.outputSchema as object);
  const inputSchema = isEmptySchema(opts.inputSchema) ? inferSchema(mine.map((trace) => trace.input), { enums: false }) : (opts.inputSchema as object);
  const { train, holdout } = splitTrainHoldout(mine, seed);
  const base = { bucket: opts.bucket, nTrain: train.length, nHoldout: holdout.length, nTraces: mine.length };
  if (mine.length < MIN_TRACES) {
    return rejectedEarly(base, "none", [`only ${mine.length} traces (need ${MIN_TRACES}) to learn and hold out`], "");
  }
  opts.signal?.throwIfAborted();

  opts.onStage?.("synthesize");
  const synthesis = synthesize(train, { bucket: opts.bucket, seed });
  let code = synthesis.code;
  let family = synthesis.family;
  let cvAgreement = synthesis.cvAgreement;
  let origin: CompileResult["origin"] = "template";
  const notes: string[] = [];
  const llm = opts.llm === false ? null : (opts.llm ?? llmConfigFromEnv());
  if (llm) {
    const proposal = await proposeWithLlm(llm, { bucket: opts.bucket, train, inputSchema, outputSchema, signal: opts.signal });
    if (!proposal.ok) notes.push(`llm: ${proposal.reason}`);
    else {
      const verdict = await scoreLlmProposal(proposal.code, train);
      if (!verdict.ok) notes.push(`llm: ${verdict.reason}`);
      // The proposal only wins by more than one train example: ties go to the readable template.
      else if (verdict.agreement > cvAgreement + 1 / Math.max(1, train.length)) {
        code = proposal.code;
        family = "llm";
        cvAgreement = verdict.agreement;
        origin = "llm";
      } else notes.push(`llm: proposal agreed on ${round3(verdict.agreement)} of train traces, not better than ${family} (${round3(cvAgreement)})`);
    }
  }
  const allowed = checkAllowlist(code);
  if (!allowed.ok) return rejectedEarly(base, family, allowed.reasons.map((reason) => `allowlist: ${reason}`), code, origin, cvAgreement);
  opts.signal?.throwIfAborted();

  opts.onStage?.("stage2", 0);
  const quickjs = origin === "llm" ? createQuickJsRunner() : null;
  const runner = quickjs ?? opts.stage2 ?? createLocalStage2Runner();
  const inputs = syntheticInputs(
    mine.map((trace) => trace.input),
    inputSchema,
    opts.syntheticCount ?? SYNTHETIC_COUNT,
    seed,
  );
  const stage2 = await runner.run(code, inputs, (done) => opts.onStage?.("stage2", inputs.length ? done / inputs.length : 1));
  opts.signal?.throwIfAborted();

  opts.onStage?.("gate");
  const holdoutInputs = holdout.map((trace) => trace.input);
  const held: Stage2Output = quickjs ? await quickjs.runOnce(code, holdoutInputs) : await evaluateOnce(code, holdoutInputs);
  const recorded = holdout.map((trace) => trace.output);
  const counts: AxisCounts = { ...stage2Counts(stage2, outputSchema), oracle: agreement(held.outputs, recorded, held.failed) };
  const constant = majority(train.map((trace) => canonicalJson(trace.output))).label;
  const baseline = round3(recorded.length ? recorded.filter((answer) => canonicalJson(answer) === constant).length / recorded.length : 0);
  const reasons = gateReasons(counts, gate, { baseline });
  if (stage2.errors > 0) (reasons.length ? reasons : notes).push(`${stage2.errors} sandboxed calls failed (first: ${stage2.firstError ?? "unknown"})`);
  const { scores, lowerBounds } = scoresOf(counts);
  return {
    ...base,
    verdict: reasons.length === 0 ? "compiled" : "rejected",
    scores,
    lowerBounds,
    oracleLowerBound: lowerBounds.oracle,
    baseline,
    family,
    origin,
    cvAgreement: round3(cvAgreement),
    reasons,
    notes,
    code,
  };
}

function rejectedEarly(
  base: Pick<CompileResult, "bucket" | "nTrain" | "nHoldout" | "nTraces">,
  family: string,
  reasons: string[],
  code: string,
  origin: CompileResult["origin"] = "template",
  cvAgreement = 0,
): CompileResult {
  const zero = { schema: 0, det: 0, oracle: 0 };
  return { ...base, verdict: "rejected", scores: zero, lowerBounds: zero, oracleLowerBound: 0, baseline: 0, family, origin, cvAgreement: round3(cvAgreement), reasons, notes: [], code };
}

/** An LLM proposal must pass the allowlist and run in QuickJS before its train agreement counts. */
async function scoreLlmProposal(code: string, train: readonly Trace[]): Promise<{ ok: true; agreement: number } | { ok: false; reason: string }> {
  const allowed = checkAllowlist(code);
  if (!allowed.ok) return { ok: false, reason: `proposal failed the allowlist: ${allowed.reasons.join("; ")}` };
  const result = await createQuickJsRunner().runOnce(
    code,
    train.map((trace) => trace.input),
  );
  if (result.errors === train.length && train.length > 0) return { ok: false, reason: `proposal failed every call (${result.firstError ?? "error"})` };
  const { ok, n } = agreement(
    result.outputs,
    train.map((trace) => trace.output),
    result.failed,
  );
  return { ok: true, agreement: n ? ok / n : 0 };
}

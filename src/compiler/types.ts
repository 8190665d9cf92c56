/**
 * What the compiler learns from: one recorded call's input and the model's output, in time order.
 * Any trace (src/contract's CheckedTrace, a stored row) is one; the compiler reads no other field
 * and imports nothing of ours (DESIGN §1), so it names only these.
 */
export interface Trace {
  bucket: string;
  input: unknown;
  output: unknown;
  /** When the call happened: ms since the epoch or an ISO time. */
  ts?: number | string;
}

/** A `defineCall({ name, version, input, output, prompt })` found in the agent's source. */
export interface CallSite {
  name: string;
  version: number;
  /** `acme:<name>:v<version>`: the trace bucket this call site records into. */
  bucket: string;
  inputSchema: object;
  outputSchema: object;
  prompt: string;
  /** Path relative to the scanned directory, with forward slashes. */
  file: string;
  /** 1-based line of the `defineCall(` call. */
  line: number;
}

/**
 * The gate's rules, in one place (shown by `compile --help`). Why each default: see DESIGN.md §5.
 * Agreement and coverage are measured on traces that come after the candidate's training traces.
 */
export interface GateThresholds {
  /** Selective agreement (on the calls the function answers) must reach this point estimate ... */
  agreement: number;
  /** ... and its Wilson 95 % lower bound this. */
  agreementLowerBound: number;
  /** Share of evaluated calls answered for `compiled` ... */
  coverageCompiled: number;
  /** ... and for `partial` (below: rejected). */
  coveragePartial: number;
  /** Answers valid against the output schema, on synthetic inputs. */
  schema: number;
  /** Same answer twice, fresh sandboxes, shuffled order. */
  det: number;
  /** Meaning-keeping perturbations give the same answer or an abstention. */
  robustness: number;
  /** One-sided exact binomial test of lift over always answering the most common answer. */
  liftAlpha: number;
}

export const DEFAULT_GATE: GateThresholds = {
  agreement: 0.9,
  agreementLowerBound: 0.8,
  coverageCompiled: 0.95,
  coveragePartial: 0.3,
  schema: 0.95,
  det: 0.95,
  robustness: 0.95,
  liftAlpha: 0.05,
};

/**
 * `compiled`: answers (nearly) every input. `partial`: answers the inputs it has evidence for and
 * abstains (returns `undefined`) on the rest. `waiting`: looks right but the evidence is too thin;
 * VOLUME fires again as the bucket grows. `rejected`: with one reason per failed rule.
 */
export type Verdict = "compiled" | "partial" | "waiting" | "rejected";

/** Point estimates of each axis. `oracle` is the selective agreement (kept under its old name). */
export interface Scores {
  schema: number;
  det: number;
  oracle: number;
  robustness: number;
}

/** A rate with its Wilson 95 % interval and the counts it came from. */
export interface RateEstimate {
  rate: number;
  lowerBound: number;
  upperBound: number;
  ok: number;
  n: number;
}

/** What stage 2 hands back: both passes' outputs, index-aligned with the inputs (null where a call failed). */
export interface Stage2Output {
  outputs: unknown[];
  secondOutputs: unknown[];
  /** Indexes whose call returned `undefined` (abstained), per pass. */
  abstained: number[];
  secondAbstained: number[];
  /** Calls that threw or timed out, over both passes. */
  errors: number;
  /** Indexes (into inputs) whose call failed in either pass. */
  failed: number[];
  firstError?: string;
}

/**
 * Evaluates compiled code on inputs in a sandbox, twice (a fresh context, shuffled order), as the
 * det axis needs. Local sandbox processes by default; another engineer plugs a remote sandbox in here.
 */
export interface Stage2Runner {
  name: string;
  run(code: string, inputs: unknown[], onProgress?: (done: number) => void): Promise<Stage2Output>;
}

export type CompileStage = "synthesize" | "stage2" | "gate";

export interface CompileOptions {
  bucket: string;
  inputSchema?: object;
  outputSchema?: object;
  seed?: number;
  gate?: Partial<GateThresholds>;
  stage2?: Stage2Runner;
  onStage?: (stage: CompileStage, progress?: number) => void;
  signal?: AbortSignal;
  /** Optional LLM synthesizer; defaults to LLM_BASE_URL / LLM_MODEL from the environment. `false` turns it off. */
  llm?: LlmConfig | false;
  /** Synthetic stage-2 inputs (default 1000). */
  syntheticCount?: number;
}

export interface LlmConfig {
  baseUrl: string;
  model: string;
  timeoutMs: number;
}

export interface CompileResult {
  bucket: string;
  verdict: Verdict;
  scores: Scores;
  /** Wilson 95 % lower bounds of the scores. */
  lowerBounds: Scores;
  /** Share of forward-evaluated calls the function answered (did not abstain on). */
  coverage: RateEstimate;
  /** Agreement with the recorded answers on the calls it answered. */
  selective: RateEstimate;
  /** Same as selective.lowerBound (kept for older readers). */
  oracleLowerBound: number;
  /** Agreement of always answering the training window's most common answer, on the evaluated calls. */
  baseline: number;
  /** One-sided exact p-value of the lift over that baseline on the answered calls (1 when no lift). */
  liftPValue: number;
  /** Stage-2 facts: how many synthetic inputs were distinct and unseen, and how often the function abstained on them. */
  novel: { synthetic: number; distinct: number; unseen: number; abstained: number };
  family: string;
  /** "template" for the built-in synthesizers, "llm" when the model's proposal won. */
  origin: "template" | "llm";
  /** Cross-validated score of the final fit on all traces (what selection saw). */
  cvAgreement: number;
  /** Traces the final function was fit on (all of them). */
  nTrain: number;
  /** Calls scored by the forward-chaining evaluation (each after its training window). */
  nHoldout: number;
  nTraces: number;
  /** Why the verdict is not `compiled`, one per failed rule, in plain words (empty: compiled). */
  reasons: string[];
  /** Side remarks that did not decide the verdict (an LLM proposal that lost). */
  notes: string[];
  code: string;
}

/** One recorded LLM call, as the proxy stores it and as traces files carry it (one per line). */
export interface Trace {
  bucket: string;
  input: unknown;
  output: unknown;
  model: string;
  latencyMs: number;
  tokensIn: number;
  tokensOut: number;
  ts: string;
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

export interface GateThresholds {
  schema: number;
  det: number;
  oracle: number;
  /** Fewer held-out traces than this and the oracle score means too little to trust. */
  minHoldout: number;
}

export const DEFAULT_GATE: GateThresholds = { schema: 0.95, det: 0.95, oracle: 0.9, minHoldout: 8 };

export interface Scores {
  schema: number;
  det: number;
  oracle: number;
}

/** What stage 2 hands back: both passes' outputs, index-aligned with the inputs (null where a call failed). */
export interface Stage2Output {
  outputs: unknown[];
  secondOutputs: unknown[];
  /** Calls that threw or timed out, over both passes. */
  errors: number;
  /** Indexes (into inputs) whose call failed in either pass. */
  failed: number[];
  firstError?: string;
}

/**
 * Evaluates compiled code on inputs in a sandbox, twice (a fresh context, shuffled order), as the
 * det axis needs. Local worker threads by default; another engineer plugs a remote sandbox in here.
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
  verdict: "compiled" | "rejected";
  scores: Scores;
  /** Wilson 95 % lower bounds of the three scores. */
  lowerBounds: Scores;
  oracleLowerBound: number;
  /** Agreement of the train split's most common answer with the held-out traces. */
  baseline: number;
  family: string;
  /** "template" for the built-in synthesizers, "llm" when the model's proposal won. */
  origin: "template" | "llm";
  /** k-fold cross-validated agreement on the train split (what selection saw). */
  cvAgreement: number;
  nTrain: number;
  nHoldout: number;
  nTraces: number;
  /** Why the gate said no (empty when compiled). */
  reasons: string[];
  /** Side remarks that did not decide the verdict (an LLM proposal that lost, a few failed calls). */
  notes: string[];
  code: string;
}

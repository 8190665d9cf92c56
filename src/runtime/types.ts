/**
 * The agent runtime's public shapes (`compile-daemon/runtime`). A call site hands the runtime its
 * bucket, its input and a way to ask the model; the runtime answers from the vault when a verified
 * function does not abstain, and otherwise asks the model and records the call as a trace.
 */

/** What the model said, with what it cost; the runtime measures latency itself when absent. */
export interface ModelReply {
  output: unknown;
  model?: string;
  tokensIn?: number;
  tokensOut?: number;
  latencyMs?: number;
}

/** Asks the model. Called at most once per `runtime.call` on the caller's path (a deferred call). */
export type CallModel = () => Promise<ModelReply>;

/** How a call was answered. */
export type CallSource = "served" | "deferred";

export interface CallResult {
  output: unknown;
  source: CallSource;
  /** The vault entry that answered (served) or abstained (deferred with an entry). */
  entryId?: string;
  /** Whether the served answer matched `CallOptions.knownAnswer` (set only when one was given). */
  agreed?: boolean;
}

export interface CallOptions {
  /**
   * Record a deferred call as a trace (default: the runtime's `record`). The daemon's replay turns
   * it off and commits the traces with its replay position instead, in one transaction.
   */
  record?: boolean;
  /**
   * The model's answer, when it is already known without asking (a recording being replayed). A
   * served answer is then checked against it at no cost: the check counts in the entry's drift test
   * like a shadow check, but the call stays a saving (no model was asked) and no sampled shadow check
   * is made.
   */
  knownAnswer?: unknown;
}

/** The part of the runtime a call site or an adapter needs. */
export interface AgentRuntime {
  /** The answer: the compiled function's when it does not abstain, the model's otherwise. */
  call(bucket: string, input: unknown, callModel: CallModel): Promise<unknown>;
  /** The same, saying how the answer was produced. */
  callDetailed(bucket: string, input: unknown, callModel: CallModel, options?: CallOptions): Promise<CallResult>;
}

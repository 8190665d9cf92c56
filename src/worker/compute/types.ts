// Structural copy of the compiler's stage-2 contract (src/compiler/types.ts, re-exported by
// src/compiler/index.ts). Structural typing makes the two interchangeable; this copy lets the
// folder type-check before the compiler lands.

/** Both evaluation passes' outputs, index-aligned with the inputs (null where a call failed). */
export interface Stage2Output {
  outputs: unknown[];
  secondOutputs: unknown[];
  /** Calls that threw or timed out, over both passes. */
  errors: number;
  /** Indexes (into inputs) whose call failed in either pass. */
  failed: number[];
  firstError?: string;
}

export interface Stage2Runner {
  name: string;
  run(code: string, inputs: unknown[], onProgress?: (done: number) => void): Promise<Stage2Output>;
}

export type ComputeName = "tensorlake" | "local";

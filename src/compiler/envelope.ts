import { sharedPool } from "./sandbox/workerPool.js";

/** Repetitions per fixture: one call takes microseconds, too little for a timer to see alone. */
const REPETITIONS = 2000;

export interface Envelope {
  calls: Array<{ input: unknown; output: unknown; micros: number }>;
}

/**
 * The result envelope of a compiled function: the agent's own fixtures run through it in the
 * sandbox, with each answer and the mean time per call in microseconds.
 */
export async function runEnvelope(code: string, fixtures: unknown[]): Promise<Envelope> {
  const pool = sharedPool();
  pool.warm();
  return pool.run<Envelope>({ kind: "time", code, inputs: fixtures, repetitions: REPETITIONS });
}

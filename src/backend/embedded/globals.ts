import type { Execution } from "./exec.js";

/** A small seeded PRNG (mulberry32): Math.random inside a function is deterministic per execution. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface ConvexSeam {
  syscall: (op: string, args: string) => string;
  asyncSyscall: (op: string, args: string) => Promise<string>;
  jsSyscall: (op: string, args: Record<string, unknown>) => unknown;
}

/**
 * Installs the syscall seam, a frozen Date.now, a seeded Math.random and the deployment's environment
 * variables for the duration of one execution, and returns the undo. Safe because every embedded
 * runtime in this process runs its functions one at a time through one queue.
 */
export function installGlobals(exec: Execution, env: Record<string, string>, seed: number): () => void {
  const g = globalThis as unknown as { Convex?: ConvexSeam };
  const prevConvex = g.Convex;
  const DateCtor = Date;
  const prevNow = DateCtor.now;
  const prevRandom = Math.random;
  const prevEnv = process.env;
  g.Convex = { syscall: exec.syscall, asyncSyscall: exec.asyncSyscall, jsSyscall: exec.jsSyscall as ConvexSeam["jsSyscall"] };
  const now = exec.now;
  DateCtor.now = () => now;
  Math.random = seededRandom(seed);
  // Functions see the deployment's variables only, as on Convex (not the host shell's).
  process.env = { ...env };
  return () => {
    g.Convex = prevConvex;
    DateCtor.now = prevNow;
    Math.random = prevRandom;
    process.env = prevEnv;
  };
}

/** One queue for every embedded runtime in the process (globals are process-wide). */
let tail: Promise<unknown> = Promise.resolve();

export function serial<T>(fn: () => Promise<T> | T): Promise<T> {
  const run = tail.then(fn, fn);
  tail = run.catch(() => undefined);
  return run;
}

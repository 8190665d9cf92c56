import type { Trace } from "../../src/compiler/index.js";

/** Test data made here, not by the Acme generator: the gate must hold on data it has never seen. */
export function rng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 4294967296;
  };
}

export function trace(bucket: string, input: unknown, output: unknown, i: number): Trace {
  return { bucket, input, output, model: "test-model", latencyMs: 900, tokensIn: 50, tokensOut: 5, ts: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString() };
}

const PLANS = ["free", "pro", "team", "enterprise"];

/** An approval rule (score and plan) with `noise` of the answers flipped. */
export function learnableRule(n: number, noise: number, seed = 11): Trace[] {
  const random = rng(seed);
  return Array.from({ length: n }, (_, i) => {
    const input = { score: Math.floor(random() * 101), plan: PLANS[Math.floor(random() * PLANS.length)], note: `customer ${Math.floor(random() * 1000)}` };
    const truth = input.score >= 60 && input.plan !== "free" ? "approve" : "review";
    const decision = random() < noise ? (truth === "approve" ? "review" : "approve") : truth;
    return trace("test:approve:v1", input, { decision }, i);
  });
}

/** Answers drawn at random, whatever the input. */
export function randomLabels(n: number, seed = 5): Trace[] {
  const random = rng(seed);
  return Array.from({ length: n }, (_, i) => {
    const input = { score: Math.floor(random() * 101), plan: PLANS[Math.floor(random() * PLANS.length)] };
    return trace("test:random:v1", input, { label: ["red", "green", "blue"][Math.floor(random() * 3)] }, i);
  });
}

/** One answer almost always (`share`), another at random otherwise. */
export function constantMajority(n: number, share: number, seed = 9): Trace[] {
  const random = rng(seed);
  return Array.from({ length: n }, (_, i) => {
    const input = { text: `message number ${Math.floor(random() * 10000)}`, size: Math.floor(random() * 50) };
    return trace("test:constant:v1", input, { ok: random() < share }, i);
  });
}

/** A product: no template family can compute it; an LLM can. */
export function product(n: number, seed = 3): Trace[] {
  const random = rng(seed);
  return Array.from({ length: n }, (_, i) => {
    const input = { a: 1 + Math.floor(random() * 40), b: 1 + Math.floor(random() * 40) };
    return trace("test:product:v1", input, { y: input.a * input.b }, i);
  });
}

import type { Trace } from "../../src/compiler/index.js";

/** Test data made here, not by the Acme generator: the gate must hold on data it has never seen. */
export function rng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 4294967296;
  };
}

/** A whole recorded call (a file of these passes the trace rules); the compiler reads only its Trace part. */
export type FullTrace = Trace & { model: string; latencyMs: number; tokensIn: number; tokensOut: number };

export function trace(bucket: string, input: unknown, output: unknown, i: number): FullTrace {
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

const TEAMS: Record<string, string[]> = {
  billing: ["invoice", "refund", "charge", "payment", "receipt", "billing"],
  network: ["vpn", "wifi", "router", "dns", "latency", "firewall"],
  identity: ["password", "login", "sso", "mfa", "account", "locked"],
  storage: ["disk", "backup", "quota", "bucket", "volume", "snapshot"],
};
const URGENT = ["urgent", "asap", "immediately", "critical", "emergency"];
const OUTAGE = ["down", "outage", "unreachable", "failing", "broken"];
const FILLER = ["please", "help", "team", "we", "noticed", "since", "yesterday", "the", "our", "with", "issue", "about", "question", "thanks", "customer", "today", "again", "seems", "still", "hi"];

/**
 * Ticket triage with two fields: the team from topic words, the priority "high" with an urgency
 * word, else "medium" with an outage word, else "low"; `noise` of the answers replaced at random.
 */
export function triage(n: number, noise = 0.02, seed = 21): Trace[] {
  const random = rng(seed);
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)];
  const teams = Object.keys(TEAMS);
  return Array.from({ length: n }, (_, i) => {
    const team = pick(teams);
    const words = [pick(TEAMS[team]), ...Array.from({ length: 3 + Math.floor(random() * 6) }, () => pick(FILLER))];
    if (random() < 0.3) words.push(pick(TEAMS[team]));
    const urgent = random() < 0.25;
    const outage = random() < 0.35;
    if (urgent) words.push(pick(URGENT));
    if (outage) words.push(pick(OUTAGE));
    const shuffledWords = words.map((word) => ({ word, key: random() })).sort((a, b) => a.key - b.key).map(({ word }) => word);
    const priority = urgent ? "high" : outage ? "medium" : "low";
    const truth = { team, priority };
    const recorded = random() < noise ? { team: pick(teams), priority: pick(["high", "medium", "low"]) } : truth;
    return trace("test:triage:v1", { text: shuffledWords.join(" ") }, recorded, i);
  });
}

/**
 * Labels that do not depend on the input: exactly round(share * n) carry the majority answer, the
 * rest one of two others, in random order.
 */
export function inputIndependent(n: number, share: number, seed: number): Trace[] {
  const random = rng(seed);
  const majority = Math.round(share * n);
  const labels: string[] = Array.from({ length: n }, (_, i) => (i < majority ? "yes" : random() < 0.5 ? "no" : "maybe"));
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [labels[i], labels[j]] = [labels[j], labels[i]];
  }
  return labels.map((answer, i) => {
    const input = { score: Math.floor(random() * 101), plan: PLANS[Math.floor(random() * PLANS.length)], note: `customer ${Math.floor(random() * 1000)} asks about ${pick3(random)}`, flag: random() < 0.5 };
    return trace("test:independent:v1", input, { answer }, i);
  });
}

function pick3(random: () => number): string {
  return ["pricing", "an invoice", "the api", "a demo", "their login"][Math.floor(random() * 5)];
}

/** One threshold decides: "high" from 50 on. The easiest rule there is, without noise. */
export function oneThreshold(n: number, seed = 17): Trace[] {
  const random = rng(seed);
  return Array.from({ length: n }, (_, i) => {
    const input = { amount: Math.round(random() * 100), region: ["north", "south", "east", "west"][Math.floor(random() * 4)] };
    return trace("test:threshold:v1", input, { level: input.amount >= 50 ? "high" : "low" }, i);
  });
}

/**
 * The shadow-check drift test in simulation: how often it demotes a stable entry (true agreement
 * 0.97) and how many shadow checks after a drop to 0.80 it takes to demote, against a naive peer
 * (demote when agreement over the last 50 checks is below 0.90) measured on the very same streams.
 * Horizons: 10,000 shadow checks per run (the strict reading of the "10,000 calls") and
 * 500 (10,000 calls at the default 5% shadow rate). Seeded and deterministic; no timing.
 * Prints a table, then one JSON line. Run: npx tsx bench/shadow.ts
 */
import { DRIFT_TEST, initialDriftState, updateDrift, type DriftState } from "../convex/lib/drift.js";

const RUNS = 200;
const STABLE = 0.97;
const DROPPED = 0.8;
const SHADOW_RATE = 0.05;
const CALLS = 10_000;
/** Checks at the stable agreement before the drop, so the detectors start from a steady state. */
const CHECKS_BEFORE_DROP = 1_000;
/** Checks after the drop we wait before calling a run undetected. */
const CHECKS_AFTER_DROP = 5_000;
const TARGETS = { falseDemotionRate: 0.01, medianDelay: 150 };

/** mulberry32: small, fast, and the same stream for the same seed on every machine. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A detector sees one check at a time and says whether it would demote now. */
interface Detector {
  push(agree: boolean): boolean;
}

function cusumDetector(): Detector {
  let state: DriftState = initialDriftState();
  return {
    push(agree) {
      const update = updateDrift(state, agree, DRIFT_TEST);
      state = update.state;
      return update.demote;
    },
  };
}

/** The peer: a fixed window of the last 50 checks, demote once it is full and agrees below 0.90. */
function windowDetector(size = 50, bar = 0.9): Detector {
  const window = new Uint8Array(size);
  let seen = 0;
  let agreed = 0;
  return {
    push(agree) {
      const slot = seen % size;
      if (seen >= size) agreed -= window[slot];
      window[slot] = agree ? 1 : 0;
      agreed += window[slot];
      seen++;
      return seen >= size && agreed / size < bar;
    },
  };
}

const DETECTORS: Record<string, () => Detector> = { cusum: cusumDetector, window50: () => windowDetector() };

/** The check index (1-based) at which the detector first demotes, or null. */
function firstDemotion(make: () => Detector, agreementAt: (check: number) => number, checks: number, seed: number): number | null {
  const random = mulberry32(seed);
  const detector = make();
  for (let check = 1; check <= checks; check++) {
    if (detector.push(random() < agreementAt(check))) return check;
  }
  return null;
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

interface FalseDemotion {
  horizon: number;
  falseDemotions: number;
  rate: number;
}

function falseDemotions(make: () => Detector, horizon: number, seedBase: number): FalseDemotion {
  let count = 0;
  for (let run = 0; run < RUNS; run++) if (firstDemotion(make, () => STABLE, horizon, seedBase + run) !== null) count++;
  return { horizon, falseDemotions: count, rate: count / RUNS };
}

interface Delay {
  median: number;
  p90: number;
  missed: number;
  demotedBeforeDrop: number;
}

/** Delay counted in shadow checks after the drop; a run demoted before the drop counts as a false demotion, not a delay. */
function detectionDelay(make: () => Detector, seedBase: number): Delay {
  const delays: number[] = [];
  let missed = 0;
  let early = 0;
  for (let run = 0; run < RUNS; run++) {
    const at = firstDemotion(make, (check) => (check <= CHECKS_BEFORE_DROP ? STABLE : DROPPED), CHECKS_BEFORE_DROP + CHECKS_AFTER_DROP, seedBase + run);
    if (at === null) missed++;
    else if (at <= CHECKS_BEFORE_DROP) early++;
    else delays.push(at - CHECKS_BEFORE_DROP);
  }
  delays.sort((a, b) => a - b);
  return { median: quantile(delays, 0.5), p90: quantile(delays, 0.9), missed, demotedBeforeDrop: early };
}

// Every detector sees the same seeds, so the comparison is on identical streams.
const SEEDS = { long: 1_000_000, short: 2_000_000, drop: 3_000_000 };
const shortHorizon = Math.round(CALLS * SHADOW_RATE);
const results = Object.fromEntries(
  Object.entries(DETECTORS).map(([name, make]) => [
    name,
    {
      falseDemotion10000Checks: falseDemotions(make, CALLS, SEEDS.long),
      falseDemotion500Checks: falseDemotions(make, shortHorizon, SEEDS.short),
      delayAfterDrop: detectionDelay(make, SEEDS.drop),
    },
  ]),
);

const pct = (x: number) => `${(x * 100).toFixed(1)}%`.padStart(8);
console.log(
  "drift test: CUSUM p0=%s p1=%s alpha=%s beta=%s h=%s, %d runs per row",
  DRIFT_TEST.p0,
  DRIFT_TEST.p1,
  DRIFT_TEST.alpha,
  DRIFT_TEST.beta,
  DRIFT_TEST.h.toFixed(3),
  RUNS,
);
console.log(`stable agreement ${STABLE}; drop to ${DROPPED} after ${CHECKS_BEFORE_DROP} checks at ${STABLE}, up to ${CHECKS_AFTER_DROP} checks after it\n`);
console.log(`${"detector".padEnd(10)} ${"false@10k chk".padStart(13)} ${"false@500 chk".padStart(13)} ${"delay p50".padStart(10)} ${"delay p90".padStart(10)} ${"missed".padStart(7)} ${"pre-drop".padStart(9)}`);
for (const [name, r] of Object.entries(results)) {
  console.log(
    `${name.padEnd(10)} ${pct(r.falseDemotion10000Checks.rate).padStart(13)} ${pct(r.falseDemotion500Checks.rate).padStart(13)} ${String(r.delayAfterDrop.median).padStart(10)} ${String(r.delayAfterDrop.p90).padStart(10)} ${String(r.delayAfterDrop.missed).padStart(7)} ${String(r.delayAfterDrop.demotedBeforeDrop).padStart(9)}`,
  );
}
// How the test behaves across true agreements, from a fresh state: share demoted within 10,000
// checks and the median checks to demotion. The CUSUM's drift changes sign at agreement ~0.908.
const SWEEP = [0.97, 0.95, 0.93, 0.9, 0.85, 0.8, 0.5];
const sweep = SWEEP.map((agreement, index) => {
  const at: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const check = firstDemotion(cusumDetector, () => agreement, CALLS, 4_000_000 + index * 10_000 + run);
    if (check !== null) at.push(check);
  }
  at.sort((a, b) => a - b);
  return { agreement, demotedWithin10000: at.length / RUNS, medianChecks: at.length * 2 > RUNS ? quantile(at, 0.5) : null };
});
console.log(`
cusum from a fresh state: ${"agreement".padStart(9)} ${"demoted@10k".padStart(11)} ${"median checks".padStart(13)}`);
for (const row of sweep) console.log(`${"".padEnd(25)} ${String(row.agreement).padStart(9)} ${pct(row.demotedWithin10000).padStart(11)} ${String(row.medianChecks ?? "-").padStart(13)}`);

const cusum = results.cusum;
const met = {
  falseDemotion10000Checks: cusum.falseDemotion10000Checks.rate <= TARGETS.falseDemotionRate,
  falseDemotion500Checks: cusum.falseDemotion500Checks.rate <= TARGETS.falseDemotionRate,
  medianDelay: cusum.delayAfterDrop.median <= TARGETS.medianDelay && cusum.delayAfterDrop.missed === 0,
};
console.log(`\ntargets: false demotion <= ${pct(TARGETS.falseDemotionRate).trim()} of ${RUNS} runs, median delay <= ${TARGETS.medianDelay} checks: ${JSON.stringify(met)}`);
console.log(
  JSON.stringify({
    bench: "shadow",
    runs: RUNS,
    params: { ...DRIFT_TEST, h: Number(DRIFT_TEST.h.toFixed(4)) },
    stable: STABLE,
    dropped: DROPPED,
    shadowRate: SHADOW_RATE,
    checksBeforeDrop: CHECKS_BEFORE_DROP,
    results,
    sweep,
    targets: TARGETS,
    met,
  }),
);

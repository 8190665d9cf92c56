/**
 * Drift detection for a served vault entry. A share of served calls is also sent to the model after
 * the answer is returned (a shadow check), giving an endless stream of agree / disagree booleans per
 * entry. This module decides, one check at a time, when that stream says the entry no longer agrees
 * with the model and must be demoted.
 *
 * The test is Page's CUSUM of the SPRT log-likelihood ratio of H1 (agreement p1) against H0
 * (agreement p0). A plain SPRT stops once it accepts H0, which a stream that never ends cannot do;
 * the CUSUM instead resets to 0 whenever the evidence favours H0 and demotes when it reaches h.
 * `cusum` is therefore the SPRT statistic of the most damning suffix of the stream, and the checks
 * since it last stood at 0 are the ones the evidence quotes.
 *
 * Pure: no I/O, no clock. The state is a small JSON object, and folding the append-only shadow-check
 * rows with `driftFromChecks` gives the same state as stepping them one by one.
 */

export interface DriftParams {
  /** H0: the agreement a healthy compiled entry is expected to keep. */
  readonly p0: number;
  /** H1: the agreement at which the entry must go (the test is tuned to detect this drop fastest). */
  readonly p1: number;
  /** Wald's type-I error; for the CUSUM, ~ a bound on false demotions per check at agreement p0 (Lorden: mean checks to one >= e^h ~ 1/alpha). */
  readonly alpha: number;
  /** Wald's type-II error: the chance a single SPRT excursion at p1 is abandoned at the lower bound. */
  readonly beta: number;
  /** Demotion threshold on the CUSUM, in nats of evidence for H1. */
  readonly h: number;
}

/**
 * Why these numbers:
 * - p0 = 0.95. The gate promotes an entry at >= 0.90 selective agreement with a lower confidence
 *   bound >= 0.80, and a compiled entry that passes typically agrees at ~0.95 or better; H0 is
 *   the behaviour the gate certified, not the bar itself.
 * - p1 = 0.85. Each disagreement adds ln(0.15/0.05) = ln 3 = 1.10 and each agreement subtracts
 *   ln(0.95/0.85) = 0.11, so the CUSUM's expected step is zero at agreement 0.908: the test drifts
 *   towards demotion exactly when the entry falls below the gate's own 0.90 bar, and away from it
 *   above. p1 sits halfway between the certified 0.95 and the 0.80 drop the issue asks to catch,
 *   so drops between 0.80 and 0.90 are caught too, not only the one we expect.
 * - h = ln((1 - beta) / alpha) = ln(0.99 / 1e-4) = 9.20, Wald's upper boundary. For the CUSUM,
 *   Lorden's bound gives a mean run length to a false alarm of at least e^h ~ 9,900 checks even
 *   for an entry sitting exactly at p0; at 0.97 the per-check drift is -0.075 nats and the
 *   adjustment coefficient is ~1.7, so that run length is ~e^(1.7 h) — millions of checks.
 *   At 0.80 the drift is +0.13 nats per check, so the delay is ~h / 0.13 ~ 70 checks, inside the
 *   issue's median of 150. (bench/shadow.ts measures both; the figures were not fitted to a seed.)
 * - The price of a zero crossing at 0.908: an entry that settles at 0.93 (above the bar, below
 *   what the gate certified) is demoted too, slowly — in the bench, ~3/4 of runs within 10,000
 *   checks, median ~3,500. An entry at exactly p0 is demoted within 10,000 checks in ~4% of runs.
 * - No minimum number of checks: reaching h needs at least ceil(h / ln 3) = 9 disagreements,
 *   and nine of them in a row from an entry agreeing at 0.95 has probability 2e-12.
 */
export const DRIFT_TEST: DriftParams = Object.freeze({
  p0: 0.95,
  p1: 0.85,
  alpha: 1e-4,
  beta: 0.01,
  h: Math.log(0.99 / 1e-4),
});

/** One vault entry's test, as stored in a database row. Every field is a plain JSON number/boolean. */
export interface DriftState {
  /** Shadow checks seen (up to and including the one that demoted). */
  n: number;
  /** Of those, how many disagreed with the model. */
  disagree: number;
  /** Page's statistic: max(0, cusum + LLR), in nats. */
  cusum: number;
  /** Checks since the CUSUM last stood at 0 (the estimated change point). */
  runChecks: number;
  /** Disagreements among those. */
  runDisagree: number;
  /** The verdict is final: later checks leave the state (and its evidence) as it was when it demoted. */
  demoted: boolean;
}

export interface DriftUpdate {
  state: DriftState;
  /** True from the check that took the CUSUM to h onwards. */
  demote: boolean;
  /** A human-readable summary of the numbers behind the verdict. */
  evidence: string;
}

export function initialDriftState(): DriftState {
  return { n: 0, disagree: 0, cusum: 0, runChecks: 0, runDisagree: 0, demoted: false };
}

/** The log-likelihood ratio ln(P(x | H1) / P(x | H0)) of one agree / disagree observation. */
export function driftStep(agree: boolean, params: DriftParams = DRIFT_TEST): number {
  return agree ? Math.log(params.p1 / params.p0) : Math.log((1 - params.p1) / (1 - params.p0));
}

export function updateDrift(state: DriftState, agree: boolean, params: DriftParams = DRIFT_TEST): DriftUpdate {
  if (state.demoted) return { state, demote: true, evidence: describeDrift(state, params) };
  const raised = state.cusum + driftStep(agree, params);
  const disagreed = agree ? 0 : 1;
  // At or below 0 the suffix so far favours H0: forget it, the next excursion starts afresh.
  const next: DriftState =
    raised > 0
      ? { n: state.n + 1, disagree: state.disagree + disagreed, cusum: raised, runChecks: state.runChecks + 1, runDisagree: state.runDisagree + disagreed, demoted: raised >= params.h }
      : { n: state.n + 1, disagree: state.disagree + disagreed, cusum: 0, runChecks: 0, runDisagree: 0, demoted: false };
  return { state: next, demote: next.demoted, evidence: describeDrift(next, params) };
}

/** The state after a stream of checks, oldest first (e.g. a vault entry's shadow_checks rows). */
export function driftFromChecks(agrees: Iterable<boolean>, params: DriftParams = DRIFT_TEST): DriftUpdate {
  let state = initialDriftState();
  for (const agree of agrees) {
    state = updateDrift(state, agree, params).state;
    if (state.demoted) break;
  }
  return { state, demote: state.demoted, evidence: describeDrift(state, params) };
}

/**
 * E.g. "agreement 41/50 = 0.82 over the last 50 shadow checks; agreement 938/1000 = 0.94 in all;
 * CUSUM 9.31 ≥ h 9.20 (H0 agreement 0.95 vs H1 0.85)". "The last N" are the checks since the
 * CUSUM last stood at 0: Page's estimate of where the drift began.
 */
export function describeDrift(state: DriftState, params: DriftParams = DRIFT_TEST): string {
  const ratio = (agreed: number, of: number) => `${agreed}/${of} = ${of === 0 ? "n/a" : (agreed / of).toFixed(2)}`;
  const recent =
    state.runChecks === 0
      ? "no run of disagreements (the CUSUM is at 0)"
      : `agreement ${ratio(state.runChecks - state.runDisagree, state.runChecks)} over the last ${state.runChecks} shadow check${state.runChecks === 1 ? "" : "s"}`;
  const overall = `agreement ${ratio(state.n - state.disagree, state.n)} in all`;
  const verdict = state.demoted ? `CUSUM ${state.cusum.toFixed(2)} ≥ h ${params.h.toFixed(2)}` : `CUSUM ${state.cusum.toFixed(2)} < h ${params.h.toFixed(2)}`;
  return `${recent}; ${overall}; ${verdict} (H0 agreement ${params.p0} vs H1 ${params.p1})`;
}

const Z95 = 1.959964;

/** Wilson score interval (95 %) of `successes` out of `n`: honest on small samples where the raw rate flatters. */
export function wilsonInterval(successes: number, n: number, z = Z95): { lower: number; upper: number } {
  if (n === 0) return { lower: 0, upper: 1 };
  const p = successes / n;
  const z2 = z * z;
  const centre = p + z2 / (2 * n);
  const margin = z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  const denominator = 1 + z2 / n;
  return { lower: Math.max(0, (centre - margin) / denominator), upper: Math.min(1, (centre + margin) / denominator) };
}

/** How low the true rate could plausibly be, given `successes` out of `n`. */
export function wilsonLowerBound(successes: number, n: number, z = Z95): number {
  return wilsonInterval(successes, n, z).lower;
}

/** P(X >= k) for X ~ Binomial(n, p), summed exactly in log space (n up to a few thousand). */
export function binomialUpperTail(k: number, n: number, p: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  if (p <= 0) return 0;
  if (p >= 1) return 1;
  let logTerm = logChoose(n, k) + k * Math.log(p) + (n - k) * Math.log1p(-p);
  let sum = 0;
  for (let i = k; i <= n; i++) {
    sum += Math.exp(logTerm);
    // term(i+1) / term(i) = (n - i) / (i + 1) * p / (1 - p)
    logTerm += Math.log((n - i) / (i + 1)) + Math.log(p) - Math.log1p(-p);
  }
  return Math.min(1, sum);
}

function logChoose(n: number, k: number): number {
  let sum = 0;
  for (let i = 1; i <= k; i++) sum += Math.log((n - k + i) / i);
  return sum;
}

/**
 * One-sided exact McNemar test: of the calls where exactly one of two answerers was right, the
 * candidate was right on `wins` and the baseline on `losses`. The p-value of "the candidate is no
 * better" (1 when it wins nothing).
 */
export function mcnemarOneSided(wins: number, losses: number): number {
  return binomialUpperTail(wins, wins + losses, 0.5);
}

export function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/**
 * Wilson score interval's lower bound (95 %): how low the true agreement could plausibly be, given
 * `successes` out of `n`. Honest on small held-out splits where the raw rate flatters.
 */
export function wilsonLowerBound(successes: number, n: number, z = 1.959964): number {
  if (n === 0) return 0;
  const p = successes / n;
  const z2 = z * z;
  const centre = p + z2 / (2 * n);
  const margin = z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return Math.max(0, (centre - margin) / (1 + z2 / n));
}

export function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

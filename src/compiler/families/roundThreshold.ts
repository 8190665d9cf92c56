/**
 * A round threshold t with lo < t <= hi. Every t in that interval sends exactly the same train
 * examples each way (`value >= t`), so rounding never changes the tree's train accuracy, and
 * `budgetUsd >= 40000` reads better than `budgetUsd >= 39750.5`. The search keeps to the middle
 * half of the gap: the roundest number near the edge of a wide gap would generalise worse.
 */
export function roundThreshold(lo: number, hi: number): number {
  const quarter = (hi - lo) / 4;
  return roundestIn(lo + quarter, hi - quarter) ?? roundestIn(lo, hi) ?? hi;
}

function roundestIn(lo: number, hi: number): number | null {
  for (let exponent = 12; exponent >= -6; exponent--) {
    for (const mantissa of [10, 5, 2.5, 2, 1]) {
      const step = mantissa * 10 ** (exponent - 1);
      const t = Number(((Math.floor(lo / step) + 1) * step).toPrecision(12));
      if (t > lo && t <= hi) return t;
    }
  }
  return null;
}

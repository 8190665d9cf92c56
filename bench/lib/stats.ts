/** Small numeric helpers and the table printer every bench uses. */

export const median = (xs: number[]): number => {
  const finite = xs.filter((x) => Number.isFinite(x));
  if (finite.length === 0) return Number.NaN;
  const s = [...finite].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

/** Nearest-rank percentile (p in 0..100). */
export const pct = (xs: number[], p: number): number => {
  const finite = xs.filter((x) => Number.isFinite(x));
  if (finite.length === 0) return Number.NaN;
  const s = [...finite].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((s.length * p) / 100) - 1))];
};

export const fmt = (x: number, digits?: number): string => {
  if (!Number.isFinite(x)) return "n/a";
  if (digits !== undefined) return x.toFixed(digits);
  return x.toFixed(Math.abs(x) >= 100 ? 0 : Math.abs(x) >= 10 ? 1 : 2);
};

/** Rounds every number in a result object so the JSON line stays readable. */
export function rounded<T>(value: T): T {
  return JSON.parse(JSON.stringify(value, (_k, v: unknown) => (typeof v === "number" ? (Number.isFinite(v) ? Math.round(v * 1000) / 1000 : null) : v))) as T;
}

export function printTable(head: string[], rows: string[][]): void {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  for (const r of [head, widths.map((w) => "-".repeat(w)), ...rows]) console.log(r.map((c, i) => (c ?? "").padEnd(widths[i])).join("  ").trimEnd());
}

export const verdict = (ok: boolean | undefined): string => (ok === undefined ? "n/a" : ok ? "met" : "MISSED");

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

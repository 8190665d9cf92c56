import { selectiveOf } from "../contract/rules.js";
import type { Selective, Verdict } from "../contract/documents.js";

/** The vault fields the command-line tables read (a vault_index document has them all). */
export interface VaultFigures {
  verdict: Verdict;
  /** "demoted" once its shadow checks disagreed with the model: no longer served. */
  status?: string;
  scores: { schema: number; det: number; oracle: number; robustness?: number };
  coverage?: number;
  selective?: Selective;
  oracleLowerBound?: number;
}

/** Three decimals, or "-" for a figure the entry does not have (written before it was measured). */
export function fixed(x: number | undefined): string {
  return x === undefined || !Number.isFinite(x) ? "-" : x.toFixed(3);
}

/** The columns `vault list` and `ctl status` share: what a reader needs to decide whether to use it. */
export function figureColumns(e: VaultFigures): Record<string, string> {
  const sel = selectiveOf(e);
  return {
    verdict: e.status === "demoted" ? `demoted (${e.verdict})` : e.verdict,
    coverage: fixed(e.coverage),
    selective: fixed(sel.agreement),
    lower: fixed(sel.lowerBound),
  };
}

/** "0.971 (95% interval 0.912-0.993)", or with the lower bound only when the upper one was not kept. */
export function selectiveText(e: VaultFigures): string {
  const sel = selectiveOf(e);
  if (sel.lowerBound === undefined) return fixed(sel.agreement);
  if (sel.upperBound === undefined) return `${fixed(sel.agreement)} (95% lower bound ${fixed(sel.lowerBound)})`;
  return `${fixed(sel.agreement)} (95% interval ${fixed(sel.lowerBound)}-${fixed(sel.upperBound)})`;
}

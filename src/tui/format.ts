/** Pure text helpers for the panes: fixed widths, ages, bars. No React here. */

import { VERDICTS } from "../contract/rules.js";
import { printable } from "../backend/printable.js";

export { printable };

/**
 * Cuts `text` to `width` columns with an ellipsis, or pads it with spaces when `pad` is set. Control
 * characters are escaped first (printable): most pane text is a name or an error from the state, and
 * an escape sequence in a bucket key must not reach the terminal.
 */
export function fit(text: string, width: number, pad = false): string {
  if (width <= 0) return "";
  const safe = printable(text);
  const chars = [...safe];
  if (chars.length > width) return width === 1 ? "…" : chars.slice(0, width - 1).join("") + "…";
  return pad ? safe + " ".repeat(width - chars.length) : safe;
}

/** Right-aligns `text` in `width` columns. */
export function fitRight(text: string, width: number): string {
  const cut = fit(text, width);
  return " ".repeat(Math.max(0, width - [...cut].length)) + cut;
}

/** "3s", "4m05s", "2h03m", "3d04h": the shortest readable duration. */
export function duration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) ms = 0;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, "0")}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${String(m % 60).padStart(2, "0")}m`;
  return `${Math.floor(h / 24)}d${String(h % 24).padStart(2, "0")}h`;
}

/** A bar of `width` cells for a 0..1 ratio; ASCII-only when `ascii` is set. */
export function bar(ratio: number, width: number, ascii = false): string {
  if (width <= 0) return "";
  const r = Number.isFinite(ratio) ? Math.min(1, Math.max(0, ratio)) : 0;
  const full = Math.round(r * width);
  return (ascii ? "#" : "█").repeat(full) + (ascii ? "." : "░").repeat(width - full);
}

/** Scores are ratios; two decimals keep the vault table narrow. */
export function score(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? " -- " : value.toFixed(2);
}

export function clock(at: number): string {
  const d = new Date(at);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, "0")).join(":");
}

export { shortSha } from "../backend/sha.js";

/** The first index of a `height`-row window that keeps `selected` visible, scrolling as little as possible. */
export function windowStart(selected: number, height: number, total: number, previousStart = 0): number {
  if (height <= 0 || total <= height) return 0;
  let start = Math.min(previousStart, total - height);
  if (selected < start) start = selected;
  if (selected >= start + height) start = selected - height + 1;
  return Math.max(0, Math.min(start, total - height));
}

/** Compact one-line JSON for envelopes and inputs, cut to `width`. */
export function oneLine(value: unknown, width: number): string {
  let text: string;
  try {
    text = typeof value === "string" ? value : JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return fit(text.replace(/\s+/g, " "), width);
}

/** Wraps `text` at word boundaries into lines of `width`, indenting continuation lines by `indent`. */
export function wrapText(text: string, width: number, indent = 0): string[] {
  text = printable(text);
  if ([...text].length <= width || width <= indent + 10) return [text];
  const out: string[] = [];
  let rest = text;
  let prefix = "";
  while ([...prefix + rest].length > width) {
    const room = width - prefix.length;
    let cut = rest.lastIndexOf(" ", room);
    if (cut <= 0) cut = room;
    out.push(prefix + rest.slice(0, cut));
    rest = rest.slice(cut).trimStart();
    prefix = " ".repeat(indent);
  }
  out.push(prefix + rest);
  return out;
}

/** "2 compiled · 1 waiting": compiled always (it is the headline), the others when there are any. */
export function verdictCounts(verdicts: readonly string[]): string {
  return VERDICTS.map((v) => [v, verdicts.filter((x) => x === v).length] as const)
    .filter(([v, n]) => v === "compiled" || n > 0)
    .map(([v, n]) => `${n} ${v}`)
    .join(" · ");
}

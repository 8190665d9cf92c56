import { createContext, useContext } from "react";
import type { VaultVerdict } from "./data.js";
import { printable } from "../backend/printable.js";

/**
 * Colour is decoration, never the only signal: every kind also has a glyph and a label, so the
 * stream reads the same under NO_COLOR.
 */
export interface KindStyle {
  glyph: string;
  label: string;
  color: string;
}

export const KIND_STYLES: Record<string, KindStyle> = {
  BOOT: { glyph: "◆", label: "BOOT", color: "green" },
  STEP: { glyph: "›", label: "STEP", color: "cyan" },
  "TRIGGER:SCHEDULE": { glyph: "○", label: "SCHEDULE", color: "blue" },
  "TRIGGER:EVENT": { glyph: "•", label: "EVENT", color: "white" },
  "TRIGGER:VOLUME": { glyph: "▲", label: "VOLUME", color: "yellow" },
  "TRIGGER:CODE_CHANGE": { glyph: "Δ", label: "CODE_CHANGE", color: "magenta" },
  "TRIGGER:RECOVERY": { glyph: "↻", label: "RECOVERY", color: "red" },
  "TRIGGER:DRIFT": { glyph: "≠", label: "DRIFT", color: "redBright" },
};

/** One glyph per verdict, the same in the vault table, the detail view, the buckets pane and the help. */
export const VERDICT_STYLES: Record<VaultVerdict, KindStyle & { help: string }> = {
  compiled: { glyph: "✓", label: "compiled", color: "green", help: "a verified function: answers (nearly) every input" },
  partial: { glyph: "◐", label: "partial", color: "cyan", help: "answers the inputs it has evidence for, defers the rest to the model" },
  waiting: { glyph: "…", label: "waiting", color: "yellow", help: "looks right, too little evidence yet: compiles again as traces grow" },
  rejected: { glyph: "✗", label: "rejected", color: "red", help: "failed the gate, see reasons" },
};

/** A demoted entry keeps its verdict (what the gate said) but is no longer served: that is what the console shows. */
export const DEMOTED_STYLE: KindStyle & { help: string } = {
  glyph: "≠",
  label: "demoted",
  color: "redBright",
  help: "was served until its shadow checks disagreed with the model (TRIGGER:DRIFT); no longer served",
};

/** The style of a vault entry as the console shows it: demoted, or its verdict. */
export function entryStyle(e: { verdict: VaultVerdict; status?: string }): KindStyle & { help: string } {
  return e.status === "demoted" ? DEMOTED_STYLE : VERDICT_STYLES[e.verdict];
}

export function kindStyle(kind: string): KindStyle {
  return KIND_STYLES[kind] ?? { glyph: "?", label: printable(kind.replace(/^TRIGGER:/, "")), color: "gray" };
}

export interface Theme {
  noColor: boolean;
  /** The colour to pass to <Text color>, or undefined under NO_COLOR. */
  color(name: string | undefined): string | undefined;
}

export function makeTheme(noColor: boolean): Theme {
  return { noColor, color: (name) => (noColor ? undefined : name) };
}

export const ThemeContext = createContext<Theme>(makeTheme(false));

export function useTheme(): Theme {
  return useContext(ThemeContext);
}

/** NO_COLOR (https://no-color.org): present and not empty disables colour. */
export function noColorFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.NO_COLOR !== undefined && env.NO_COLOR !== "";
}

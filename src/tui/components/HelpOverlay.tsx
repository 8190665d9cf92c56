import React from "react";
import { Box, Text } from "ink";
import type { ControlAction } from "../../contract/actions.js";
import { fit, wrapText } from "../format.js";
import { UI_KEYS } from "../keymap.js";
import { DEMOTED_STYLE, KIND_STYLES, VERDICT_STYLES, useTheme } from "../theme.js";
import { Pane, innerHeight, innerWidth } from "./Pane.js";

export interface HelpOverlayProps {
  actions: readonly ControlAction[];
  scroll: number;
  width: number;
  height: number;
}

type Line = { text: string; heading?: boolean; color?: string };

/** Everything the help shows, built from the same tables as the handlers and the footer. */
export function helpLines(actions: readonly ControlAction[]): { keys: Line[]; legend: Line[] } {
  const keys: Line[] = [{ text: "Actions (the same as `compile-daemon ctl`)", heading: true }];
  for (const a of actions) {
    if (a.key === undefined) continue;
    const extra = a.confirm ? " (asks first, default No)" : a.promptNumber ? ` (asks ${a.promptNumber.label})` : "";
    keys.push({ text: `${a.key.padEnd(9)} ${a.help}${extra}` });
  }
  keys.push({ text: "Navigation", heading: true });
  const seen = new Set<string>();
  // Keys of the main screen first, then those of prompts and views.
  const ordered = [...UI_KEYS].sort((a, b) => Number(!a.modes.includes("normal")) - Number(!b.modes.includes("normal")));
  for (const k of ordered) {
    if (k.modes.length === 1 && (k.modes[0] === "confirm" || k.modes[0] === "prompt")) continue;
    const id = `${k.keys} ${k.help}`;
    if (seen.has(id)) continue;
    seen.add(id);
    keys.push({ text: `${k.keys.padEnd(9)} ${k.help}` });
  }
  const legend: Line[] = [{ text: "Trigger stream", heading: true }];
  for (const [kind, s] of Object.entries(KIND_STYLES)) legend.push({ text: `${s.glyph} ${s.label.padEnd(11)} ${KIND_HELP[kind] ?? ""}`, color: s.color });
  legend.push({ text: "Buckets and vault", heading: true });
  legend.push({ text: "▲ reached the threshold: a compile is due", color: "yellow" });
  legend.push({ text: "◌ compile queued   ▶ compiling now", color: "cyan" });
  for (const s of [...Object.values(VERDICT_STYLES), DEMOTED_STYLE]) legend.push({ text: `${s.glyph} ${s.label}: ${s.help}`, color: s.color });
  legend.push({ text: "dimmed: compiled under an older code sha" });
  return { keys, legend };
}

const KIND_HELP: Record<string, string> = {
  BOOT: "a daemon started",
  STEP: "a pipeline stage began",
  "TRIGGER:SCHEDULE": "the replay clock ticked",
  "TRIGGER:EVENT": "a trace arrived",
  "TRIGGER:VOLUME": "a bucket hit the threshold",
  "TRIGGER:CODE_CHANGE": "the agent's code changed",
  "TRIGGER:RECOVERY": "primary compute failed, local took over",
  "TRIGGER:DRIFT": "shadow checks disagree: entry demoted, recompile queued",
};

/** Wraps a help line at word boundaries, indenting continuations under the description. */
export function wrapLine(line: Line, width: number, indent = 10): Line[] {
  return wrapText(line.text, width, indent).map((text) => ({ ...line, text }));
}

function Column({ lines: raw, width, rows, scroll }: { lines: Line[]; width: number; rows: number; scroll: number }): React.JSX.Element {
  const theme = useTheme();
  const lines = raw.flatMap((l) => wrapLine(l, width));
  const top = Math.min(scroll, Math.max(0, lines.length - rows));
  return (
    <Box flexDirection="column" width={width} flexShrink={0}>
      {lines.slice(top, top + rows).map((l, i) => (
        <Text key={top + i} bold={l.heading} underline={l.heading && !theme.noColor} color={theme.color(l.color)} wrap="truncate">
          {fit(l.text, width)}
        </Text>
      ))}
    </Box>
  );
}

export function HelpOverlay({ actions, scroll, width, height }: HelpOverlayProps): React.JSX.Element {
  const w = innerWidth(width);
  const rows = innerHeight(height);
  const { keys, legend } = helpLines(actions);
  // Two columns when there is room; one scrolling column otherwise.
  const split = w >= 100;
  const left = split ? Math.floor(w * 0.6) : w;
  return (
    <Pane title="Help" note="esc or ? closes · j/k scroll" width={width} height={height} focused>
      <Box flexDirection="row">
        <Column lines={split ? keys : [...keys, ...legend]} width={left - (split ? 2 : 0)} rows={rows} scroll={scroll} />
        {split && <Box width={2} flexShrink={0} />}
        {split && <Column lines={legend} width={w - left} rows={rows} scroll={scroll} />}
      </Box>
    </Pane>
  );
}

import React from "react";
import { Text } from "ink";
import type { BucketsView, VaultVerdict } from "../data.js";
import { bar, fit, fitRight, windowStart } from "../format.js";
import { entryStyle, useTheme } from "../theme.js";
import { Pane, innerHeight, innerWidth } from "./Pane.js";

export interface BucketsPaneProps {
  view: BucketsView | undefined;
  /** Verdicts at the current code sha: each shows its glyph (✓ compiled, ◐ partial, … waiting, ✗ rejected). */
  /** The newest entry per bucket at the current sha (its verdict, and whether it was demoted). */
  verdicts: ReadonlyMap<string, { verdict: VaultVerdict; status?: string }>;
  /** Buckets with a live compile job: "running" or "pending". */
  jobs: ReadonlyMap<string, "running" | "pending">;
  selected: number;
  focused: boolean;
  width: number;
  height: number;
}

export function BucketsPane({ view, verdicts, jobs, selected, focused, width, height }: BucketsPaneProps): React.JSX.Element {
  const theme = useTheme();
  const w = innerWidth(width);
  const rows = innerHeight(height);
  const buckets = view?.buckets ?? [];
  const threshold = view?.threshold ?? 0;
  const start = windowStart(selected, rows, buckets.length);
  const note = view ? (width >= 30 ? `threshold ${threshold}` : `thr ${threshold}`) : undefined;

  return (
    <Pane title="Buckets" note={note} width={width} height={height} focused={focused}>
      {!view && <Text dimColor>waiting…</Text>}
      {view && buckets.length === 0 && <Text dimColor>no traces yet</Text>}
      {buckets.slice(start, start + rows).map((b, i) => {
        const verdict = verdicts.get(b.key);
        const full = threshold > 0 && b.sinceCompile >= threshold;
        const job = jobs.get(b.key);
        // A live job says more than an old verdict: the bucket is being (re)compiled right now.
        const [glyph, color] =
          job === "running" ? ["▶", "cyan"]
          : job === "pending" ? ["◌", "cyan"]
          : verdict !== undefined ? [entryStyle(verdict).glyph, entryStyle(verdict).color]
          : full ? ["▲", "yellow"]
          : ["·", undefined];
        // Once a verdict exists the bucket's total says more than the distance to the threshold.
        const count = verdict && !job ? `${b.count}` : `${b.sinceCompile}/${threshold}`;
        // A bar only where there is room for it beside the name.
        const barWidth = w >= 40 ? 8 : 0;
        const nameWidth = Math.max(4, w - 2 - count.length - 1 - (barWidth ? barWidth + 1 : 0));
        const isSelected = start + i === selected;
        return (
          <Text key={b._id} inverse={focused && isSelected} wrap="truncate">
            <Text color={theme.color(color)}>{glyph} </Text>
            <Text bold={!focused && isSelected}>{fit(b.key, nameWidth, true)}</Text>
            <Text color={theme.color(full ? "yellow" : undefined)}>{fitRight(count, count.length + 1)}</Text>
            {barWidth > 0 && <Text color={theme.color(full ? "yellow" : "blue")}> {bar(threshold ? b.sinceCompile / threshold : 0, barWidth)}</Text>}
          </Text>
        );
      })}
    </Pane>
  );
}

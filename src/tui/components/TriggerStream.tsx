import React from "react";
import { Text } from "ink";
import type { TriggerEvent } from "../data.js";
import { clock, fit, printable, windowStart } from "../format.js";
import { kindStyle, useTheme } from "../theme.js";
import { Pane, innerHeight, innerWidth } from "./Pane.js";

export interface TriggerStreamProps {
  /** Newest first, already filtered. */
  events: readonly TriggerEvent[];
  /** How many rows exist before filtering (for the title). */
  total: number;
  filter: string;
  /** True while `/` is taking input. */
  filtering: boolean;
  selected: number;
  focused: boolean;
  width: number;
  height: number;
  loading: boolean;
}

/** Case-insensitive substring match on kind, bucket and detail. */
export function filterEvents(events: readonly TriggerEvent[], filter: string): TriggerEvent[] {
  const needle = filter.trim().toLowerCase();
  if (!needle) return [...events];
  return events.filter((e) =>
    [e.kind, kindStyle(e.kind).label, e.bucket ?? "", e.detail].some((s) => s.toLowerCase().includes(needle)),
  );
}

/** "acme:classify_lead_tier:v1" → "classify_lead_tier": in a narrow stream the call site name is enough. */
export function shortBucket(bucket: string): string {
  const parts = bucket.split(":");
  return parts.length === 3 ? parts[1] : bucket;
}

/** Rows narrower than this show the short bucket name, leaving room for the detail. */
const FULL_BUCKET_WIDTH = 60;

export function formatTrigger(e: TriggerEvent, textWidth = Infinity): { time: string; glyph: string; label: string; text: string } {
  const style = kindStyle(e.kind);
  const bucket = e.bucket && textWidth < FULL_BUCKET_WIDTH ? shortBucket(e.bucket) : e.bucket;
  return {
    time: clock(e.at),
    glyph: style.glyph,
    label: style.label.padEnd(11),
    text: [bucket, e.detail].filter(Boolean).join(" · "),
  };
}

export function TriggerStream(props: TriggerStreamProps): React.JSX.Element {
  const { events, total, filter, filtering, selected, focused, width, height, loading } = props;
  const theme = useTheme();
  const rows = innerHeight(height);
  const textWidth = innerWidth(width);
  const start = windowStart(selected, rows, events.length);
  const visible = events.slice(start, start + rows);
  const note = filter || filtering ? `/${filter}${filtering ? "█" : ""} (${events.length}/${total})` : `${total}`;

  return (
    <Pane title="Triggers" note={note} width={width} height={height} focused={focused}>
      {loading && <Text dimColor>waiting for the trigger stream…</Text>}
      {!loading && events.length === 0 && (
        <Text dimColor wrap="truncate">
          {filter ? `nothing matches "${printable(filter)}" (esc clears)` : "no triggers yet"}
        </Text>
      )}
      {visible.map((e, i) => {
        const restWidth = Math.max(0, textWidth - 23);
        const row = formatTrigger(e, restWidth);
        const style = kindStyle(e.kind);
        const isSelected = focused && start + i === selected;
        const rest = fit(row.text, restWidth, true);
        return (
          <Text key={e._id} inverse={isSelected} wrap="truncate">
            <Text dimColor>{row.time} </Text>
            <Text color={theme.color(style.color)} bold={e.kind.startsWith("TRIGGER:") && e.kind !== "TRIGGER:EVENT"}>
              {row.glyph} {row.label}
            </Text>
            <Text> {rest}</Text>
          </Text>
        );
      })}
    </Pane>
  );
}

import React from "react";
import { Text } from "ink";
import type { TriggerEvent } from "../data.js";
import { clock, fit, printable, windowStart } from "../format.js";
import { isRoutineTrigger } from "../../contract/rules.js";
import { kindStyle, useTheme } from "../theme.js";
import { Pane, innerHeight, innerWidth } from "./Pane.js";

/** A row of the stream: one trigger, or a run of routine ones shown as one line. */
export type StreamRow = TriggerEvent & { group?: { count: number; kinds: string } };

export interface TriggerStreamProps {
  /** Newest first, already filtered or collapsed. */
  events: readonly StreamRow[];
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

/**
 * The two subscriptions as one stream, newest first: the newest rows of every kind, and the newest
 * notable rows, which a fast replay's routine rows would otherwise push out of the first within seconds.
 */
export function mergeStreams(recent: readonly TriggerEvent[], notable: readonly TriggerEvent[]): TriggerEvent[] {
  const byId = new Map<string, TriggerEvent>();
  for (const e of [...recent, ...notable]) byId.set(e._id, e);
  return [...byId.values()].sort((a, b) => b.at - a.at || b._creationTime - a._creationTime);
}

/**
 * Runs of two or more routine rows (EVENT, SCHEDULE, STEP: one per replayed trace, batch or pipeline
 * step) become one line that counts them and quotes the newest, so the rows that say something
 * happened (VOLUME, DRIFT, ...) stay in view. A filter shows every row instead.
 */
export function collapseRoutine(events: readonly TriggerEvent[]): StreamRow[] {
  const out: StreamRow[] = [];
  let run: TriggerEvent[] = [];
  const flush = () => {
    if (run.length === 1) out.push(run[0]);
    else if (run.length > 1) {
      const counts = new Map<string, number>();
      for (const e of run) {
        const label = kindStyle(e.kind).label;
        counts.set(label, (counts.get(label) ?? 0) + 1);
      }
      const kinds = [...counts].map(([label, n]) => `${n} ${label}`).join(", ");
      out.push({ ...run[0], _id: `run:${run[0]._id}` as TriggerEvent["_id"], group: { count: run.length, kinds } });
    }
    run = [];
  };
  for (const e of events) {
    if (isRoutineTrigger(e.kind)) run.push(e);
    else {
      flush();
      out.push(e);
    }
  }
  flush();
  return out;
}

/** "acme:classify_lead_tier:v1" → "classify_lead_tier": in a narrow stream the call site name is enough. */
export function shortBucket(bucket: string): string {
  const parts = bucket.split(":");
  return parts.length === 3 ? parts[1] : bucket;
}

/** Rows narrower than this show the short bucket name, leaving room for the detail. */
const FULL_BUCKET_WIDTH = 60;

export function formatTrigger(e: StreamRow, textWidth = Infinity): { time: string; glyph: string; label: string; text: string } {
  const style = kindStyle(e.kind);
  const bucket = e.bucket && textWidth < FULL_BUCKET_WIDTH ? shortBucket(e.bucket) : e.bucket;
  const text = [bucket, e.detail].filter(Boolean).join(" · ");
  if (e.group) return { time: clock(e.at), glyph: "⋯", label: `×${e.group.count}`.padEnd(11), text: `${e.group.kinds} · newest: ${text}` };
  return { time: clock(e.at), glyph: style.glyph, label: style.label.padEnd(11), text };
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
          <Text key={e._id} inverse={isSelected} wrap="truncate" dimColor={e.group !== undefined}>
            <Text dimColor>{row.time} </Text>
            <Text color={e.group ? undefined : theme.color(style.color)} bold={!e.group && e.kind.startsWith("TRIGGER:") && e.kind !== "TRIGGER:EVENT"}>
              {row.glyph} {row.label}
            </Text>
            <Text> {rest}</Text>
          </Text>
        );
      })}
    </Pane>
  );
}

import { useNow } from "../hooks/useNow.js";
import React from "react";
import { Text } from "ink";
import type { Heartbeat } from "../data.js";
import { duration, fit, printable } from "../format.js";
import { useTheme } from "../theme.js";
import { Pane, innerWidth } from "./Pane.js";

/** Beats come every 2 s; three missed beats make a daemon look dead. */
export const STALE_AFTER_MS = 6_000;

export interface HeartbeatPaneProps {
  beats: readonly Heartbeat[] | undefined;
  /** Fixed clock for tests; the live console leaves it out and the pane ticks on its own. */
  now?: number;
  width: number;
  height: number;
}

const STATUS_GLYPH: Record<string, [string, string]> = {
  running: ["●", "green"],
  paused: ["‖", "yellow"],
  stopping: ["◌", "yellow"],
  stopped: ["○", "gray"],
};

/** The freshest daemon is the one to show; the others are counted in the title. */
export function freshest(beats: readonly Heartbeat[]): Heartbeat | undefined {
  return [...beats].sort((a, b) => b.lastBeatAt - a.lastBeatAt)[0];
}

/** The first of `forms` that fits `width` (the last one otherwise): labels go before truncation. */
export function longest(forms: readonly string[], width: number): string {
  return forms.find((f) => [...f].length <= width) ?? forms[forms.length - 1];
}

export function HeartbeatPane({ beats, now: fixedNow, width, height }: HeartbeatPaneProps): React.JSX.Element {
  // Each beat (every 2 s) re-renders this pane with a fresh age anyway; the pane's own clock only
  // has to make a silent daemon's age grow, so it ticks slowly and an idle console stays cheap.
  useNow(5000);
  // Read the time at render: a render caused by a new beat must not use the clock's older tick.
  const now = fixedNow ?? Date.now();
  const theme = useTheme();
  const w = innerWidth(width);
  const beat = beats ? freshest(beats) : undefined;
  const others = beats && beats.length > 1 ? `+${beats.length - 1} daemon${beats.length > 2 ? "s" : ""}` : undefined;

  if (!beat) {
    return (
      <Pane title="Heartbeat" width={width} height={height}>
        <Text dimColor wrap="truncate">
          {beats ? "no daemon has beaten yet" : "waiting…"}
        </Text>
      </Pane>
    );
  }

  const age = Math.max(0, now - beat.lastBeatAt);
  const stale = age > STALE_AFTER_MS && beat.status !== "stopped";
  const [glyph, color] = stale ? ["✗", "red"] : (STATUS_GLYPH[beat.status] ?? ["?", "gray"]);
  const ageText = longest([` · beat ${duration(age)} ago`, ` · ${duration(age)} ago`], w - 2 - (stale ? beat.status.length + 1 : beat.status.length));
  const alive = beat.status === "running" || beat.status === "paused";
  const uptime = (alive && !stale ? now : beat.lastBeatAt) - beat.startedAt;

  return (
    <Pane title="Heartbeat" note={others} width={width} height={height}>
      <Text wrap="truncate">
        <Text color={theme.color(color)} bold>
          {glyph} {printable(stale ? `${beat.status}?` : beat.status)}
        </Text>
        <Text color={theme.color(stale ? "red" : undefined)}>{ageText}</Text>
      </Text>
      <Text wrap="truncate">{fit(`pid ${beat.pid} · up ${duration(uptime)}`, w)}</Text>
      <Text wrap="truncate">{fit(longest([`${beat.backend} · compute ${beat.compute}`, `compute ${beat.compute} (${beat.backend})`, `compute ${beat.compute}`], w), w)}</Text>
    </Pane>
  );
}

import React from "react";
import { Text } from "ink";
import type { ReplayView } from "../data.js";
import { bar } from "../format.js";
import { useTheme } from "../theme.js";
import { longest } from "./HeartbeatPane.js";
import { Pane, innerWidth } from "./Pane.js";

export interface ReplayPaneProps {
  replay: ReplayView | undefined;
  width: number;
  height: number;
}

export function ReplayPane({ replay, width, height }: ReplayPaneProps): React.JSX.Element {
  const theme = useTheme();
  const w = innerWidth(width);
  if (!replay) {
    return (
      <Pane title="Replay" width={width} height={height}>
        <Text dimColor>waiting…</Text>
      </Pane>
    );
  }
  const ratio = replay.total > 0 ? replay.position / replay.total : 0;
  const pct = `${Math.floor(ratio * 100)}%`;
  const done = replay.total > 0 && replay.position >= replay.total;
  const state = replay.paused ? "‖ PAUSED" : done ? "✓ DONE" : "▶ PLAYING";
  return (
    <Pane title="Replay" width={width} height={height}>
      <Text wrap="truncate">
        <Text bold>
          {replay.position}/{replay.total}
        </Text>
        <Text> traces · {pct}</Text>
      </Text>
      <Text color={theme.color(replay.paused ? "yellow" : "green")} wrap="truncate">
        {bar(ratio, w)}
      </Text>
      <Text wrap="truncate">
        <Text bold color={theme.color(replay.paused ? "yellow" : "green")}>
          {state}
        </Text>
        <Text>{longest(replay.speedMs === 0 ? [" · as fast as possible", " · max speed", " max"] : [` · ${replay.speedMs} ms/trace`, ` ${replay.speedMs}ms/trace`], w - state.length)}</Text>
      </Text>
    </Pane>
  );
}

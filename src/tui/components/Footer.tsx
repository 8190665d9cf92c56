import React from "react";
import { Box, Text } from "ink";
import type { ConnectionState } from "../../backend/client.js";
import { fit, printable } from "../format.js";
import { packHints, type Hints } from "../keymap.js";
import { useTheme } from "../theme.js";

export type Feedback = { kind: "ok" | "error" | "info"; text: string };

export interface FooterProps {
  mode: "RUNNING" | "PAUSED" | "CONNECTING";
  connection: ConnectionState;
  workerStatus?: string;
  lastError?: string;
  /** The command line: a prompt being typed, or the last action's feedback. */
  line: { prompt: string; value?: string } | Feedback | undefined;
  hints: Hints;
  width: number;
}

export const FOOTER_HEIGHT = 4;

export function connectionLabel(c: ConnectionState): { text: string; ok: boolean } {
  if (c.kind === "embedded") return { text: `embedded ${c.path}`, ok: true };
  if (c.connected) return { text: `convex ${c.url}`, ok: true };
  if (c.retries === 0 && !c.lastError) return { text: `convex connecting to ${c.url}`, ok: false };
  return { text: `convex reconnecting (retry ${c.retries})${c.lastError ? `: ${c.lastError}` : ""}`, ok: false };
}

/** Four fixed lines (status, command line, two of key hints), so feedback never moves the panes. */
export function Footer({ mode, connection, workerStatus, lastError, line, hints, width }: FooterProps): React.JSX.Element {
  const theme = useTheme();
  const label = connectionLabel(connection);
  const conn = { ...label, text: printable(label.text) };
  if (workerStatus !== undefined) workerStatus = printable(workerStatus);
  const modeColor = mode === "RUNNING" ? "green" : mode === "PAUSED" ? "yellow" : "gray";
  const used = mode.length + 4 + conn.text.length + 4 + (workerStatus ? workerStatus.length + 11 : 0);
  const errorText = lastError ? fit(`✗ ${lastError}`, Math.max(0, width - used - 3)) : "";

  return (
    <Box flexDirection="column" width={width} height={FOOTER_HEIGHT} flexShrink={0}>
      <Text wrap="truncate">
        <Text inverse bold color={theme.color(modeColor)}>
          {` ${mode} `}
        </Text>
        <Text color={theme.color(conn.ok ? "green" : "red")}> {conn.ok ? "●" : "○"} </Text>
        <Text>{conn.text}</Text>
        {workerStatus && <Text dimColor> · worker {workerStatus}</Text>}
        {errorText && <Text color={theme.color("red")}> │ {errorText}</Text>}
      </Text>
      <CommandLine line={line} width={width} />
      <Text wrap="truncate">{packHints(hints.primary, width)}</Text>
      <Text dimColor wrap="truncate">
        {packHints(hints.secondary, width, 2)}
      </Text>
    </Box>
  );
}

function CommandLine({ line, width }: { line: FooterProps["line"]; width: number }): React.JSX.Element {
  const theme = useTheme();
  if (!line) return <Text> </Text>;
  if ("prompt" in line) {
    return (
      <Text wrap="truncate">
        <Text bold color={theme.color("cyan")}>
          {printable(line.prompt)}
        </Text>
        {line.value !== undefined && <Text> {printable(line.value)}█</Text>}
      </Text>
    );
  }
  const [glyph, color] = line.kind === "ok" ? ["✓", "green"] : line.kind === "error" ? ["✗", "red"] : ["·", undefined];
  return (
    <Text color={theme.color(color)} wrap="truncate">
      {fit(`${glyph} ${line.text}`, width)}
    </Text>
  );
}

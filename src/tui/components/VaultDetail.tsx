import React from "react";
import { Box, Text } from "ink";
import { selectiveOf, windowText } from "../../contract/rules.js";
import type { VaultEntry } from "../data.js";
import { clock, fit, oneLine, score, shortSha, wrapText } from "../format.js";
import { entryStyle, useTheme } from "../theme.js";
import { Pane, innerHeight, innerWidth } from "./Pane.js";

export interface VaultDetailProps {
  entry: VaultEntry | undefined;
  /** Set when the entry left the vault (a reset --all) while it was open. */
  gone: boolean;
  scroll: number;
  width: number;
  height: number;
}

type Line = { text: string; color?: string; bold?: boolean; dim?: boolean };

/** Everything a reader needs about one entry, as lines: header, figures, reasons, envelope, code. */
export function detailLines(e: VaultEntry, width: number): Line[] {
  const lines: Line[] = [];
  const style = entryStyle(e);
  const verdict = e.status === "demoted" ? `demoted (was ${e.verdict})` : e.verdict;
  lines.push({ text: `${style.glyph} ${verdict} · ${e.family} · sha ${shortSha(e.sha)} · written ${clock(e.writtenAt)}`, color: style.color, bold: true });
  lines.push({ text: `  ${style.help}`, dim: true });
  const figure = (label: string, text: string) => {
    for (const t of wrapText(`${label.padEnd(10)}${text}`, width, 10)) lines.push({ text: t });
  };
  const sel = selectiveOf(e);
  const interval =
    sel.lowerBound === undefined ? ""
    : sel.upperBound === undefined ? ` (95% lower bound ${score(sel.lowerBound)})`
    : ` [${score(sel.lowerBound)}, ${score(sel.upperBound)}] (95%)`;
  figure("coverage", e.coverage === undefined ? "not measured (written before abstention)" : `${score(e.coverage)} of later calls answered; on the rest it returns undefined and the model answers`);
  figure(
    "agreement",
    e.coverage === 0 ? "none measured: it answered no later call (the model answers every one)" : `${score(sel.agreement)}${interval} with the recorded answers, on the calls it answered`,
  );
  if (e.baseline !== undefined) figure("baseline", `${score(e.baseline)} always answering the most common answer`);
  if (e.demotion) figure("demoted", `${clock(e.demotion.at)}: ${e.demotion.evidence}`);
  figure("checks", `schema ${score(e.scores.schema)} · det ${score(e.scores.det)} · robustness ${score(e.scores.robustness)}`);
  const split = e.nTrain !== undefined ? ` (trained on ${e.nTrain}, evaluated on ${e.nHoldout ?? "?"} later calls)` : "";
  figure("traces", `${e.nTraces}${split}${e.window ? ` · ${windowText(e.window)}` : ""}${e.publishedAt ? " · published to Nia" : ""}`);
  lines.push({ text: "reasons", bold: true });
  if (e.reasons.length === 0) lines.push({ text: "  (none)", dim: true });
  for (const r of e.reasons) for (const text of wrapText(`  · ${r}`, width, 4)) lines.push({ text });
  lines.push({ text: "envelope", bold: true });
  lines.push(...envelopeLines(e.envelope, width));
  lines.push({ text: "code", bold: true });
  const code = e.code.split("\n");
  const numberWidth = String(code.length).length;
  // Tabs as two spaces; every other control character is escaped where the line is drawn (fit).
  code.forEach((line, i) => lines.push({ text: `${String(i + 1).padStart(numberWidth)} │ ${line.replace(/\t/g, "  ")}`, color: "cyan" }));
  return lines;
}

/** The envelope is free-form: summarise arrays of cases, show scalars as key: value. */
function envelopeLines(envelope: unknown, width: number): Line[] {
  if (envelope === undefined || envelope === null) return [{ text: "  (none)", dim: true }];
  if (typeof envelope !== "object") return [{ text: `  ${oneLine(envelope, width - 2)}` }];
  const out: Line[] = [];
  for (const [key, value] of Object.entries(envelope as Record<string, unknown>)) {
    if (Array.isArray(value)) {
      // The pipeline marks a fixture the function deferred to the model with `abstained: true`.
      const abstained = value.filter((v) => typeof v === "object" && v !== null && (v as { abstained?: unknown }).abstained === true).length;
      out.push({ text: `  ${key}: ${value.length} item${value.length === 1 ? "" : "s"}${abstained ? ` (${abstained} deferred to the model)` : ""}` });
      for (const item of value.slice(0, 5)) out.push({ text: `    ${oneLine(item, width - 4)}`, dim: true });
      if (value.length > 5) out.push({ text: `    … ${value.length - 5} more`, dim: true });
    } else {
      out.push({ text: `  ${key}: ${oneLine(value, width - key.length - 4)}` });
    }
  }
  return out.length ? out : [{ text: "  (empty)", dim: true }];
}

export function VaultDetail({ entry, gone, scroll, width, height }: VaultDetailProps): React.JSX.Element {
  const theme = useTheme();
  const w = innerWidth(width);
  const rows = innerHeight(height);
  if (!entry) {
    return (
      <Pane title="Vault entry" width={width} height={height} focused>
        <Text dimColor>no entry selected (esc goes back)</Text>
      </Pane>
    );
  }
  const lines = detailLines(entry, w);
  const maxScroll = Math.max(0, lines.length - rows);
  const top = Math.min(scroll, maxScroll);
  const note = `${gone ? "no longer in the vault · " : ""}${maxScroll ? `${top + 1}-${Math.min(lines.length, top + rows)}/${lines.length} j/k scroll · ` : ""}esc back`;
  return (
    <Pane title={`Vault entry ${entry.bucket}`} note={note} width={width} height={height} focused>
      <Box flexDirection="column">
        {lines.slice(top, top + rows).map((l, i) => (
          <Text key={top + i} color={theme.color(l.color)} bold={l.bold} dimColor={l.dim} wrap="truncate">
            {fit(l.text, w)}
          </Text>
        ))}
      </Box>
    </Pane>
  );
}

/** How far the detail view can scroll, so j stops at the last line. */
export function detailMaxScroll(entry: VaultEntry | undefined, width: number, height: number): number {
  if (!entry) return 0;
  return Math.max(0, detailLines(entry, innerWidth(width)).length - innerHeight(height));
}

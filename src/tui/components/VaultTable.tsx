import React from "react";
import { Text } from "ink";
import type { VaultEntry } from "../data.js";
import { fit, score, shortSha, windowStart } from "../format.js";
import { useTheme } from "../theme.js";
import { Pane, innerHeight, innerWidth } from "./Pane.js";

export interface VaultTableProps {
  entries: readonly VaultEntry[] | undefined;
  /** The agent's current code sha: entries compiled under another sha are shown dimmed. */
  currentSha: string | undefined;
  selected: number;
  focused: boolean;
  width: number;
  height: number;
}

const VERDICT_WIDTH = 10;
const SCORE_WIDTH = 6;
const FAMILY_WIDTH = 14;
const SHA_WIDTH = 12; // "eb4a23+bump1": a bumped sha must look different

/** Column widths for a given inner width: the bucket column takes what the fixed ones leave. */
export function vaultColumns(width: number): { bucket: number; family: number } {
  const fixed = VERDICT_WIDTH + 3 * SCORE_WIDTH + SHA_WIDTH + 6;
  const family = width >= 90 ? 20 : FAMILY_WIDTH;
  return { bucket: Math.max(8, width - fixed - family), family };
}

export function VaultTable({ entries, currentSha, selected, focused, width, height }: VaultTableProps): React.JSX.Element {
  const theme = useTheme();
  const w = innerWidth(width);
  const rows = Math.max(0, innerHeight(height) - 1);
  const list = entries ?? [];
  const cols = vaultColumns(w);
  const start = windowStart(selected, rows, list.length);
  // Counts are for the current code: entries under an older sha are history (shown dimmed).
  const current = currentSha === undefined ? list : list.filter((e) => e.sha === currentSha);
  const compiled = current.filter((e) => e.verdict === "compiled").length;
  const older = list.length - current.length;
  const note = entries ? `${compiled} compiled · ${current.length - compiled} rejected${older ? ` · ${older} older` : ""}` : undefined;
  const header = [
    fit("bucket", cols.bucket, true),
    fit("verdict", VERDICT_WIDTH, true),
    "schema",
    "   det",
    "oracle",
    fit("family", cols.family, true),
    "sha",
  ].join(" ");

  return (
    <Pane title="Vault" note={note} width={width} height={height} focused={focused}>
      <Text bold underline={!theme.noColor} wrap="truncate">
        {header}
      </Text>
      {!entries && <Text dimColor>waiting…</Text>}
      {entries && list.length === 0 && <Text dimColor>no vault entries yet: buckets compile when they reach the threshold</Text>}
      {list.slice(start, start + rows).map((e, i) => {
        const isSelected = start + i === selected;
        const stale = currentSha !== undefined && e.sha !== currentSha;
        const ok = e.verdict === "compiled";
        return (
          <Text key={e._id} inverse={focused && isSelected} dimColor={stale} wrap="truncate">
            <Text bold={!focused && isSelected}>{fit(e.bucket, cols.bucket, true)} </Text>
            <Text color={theme.color(ok ? "green" : "red")}>{fit(`${ok ? "✓" : "✗"} ${e.verdict}`, VERDICT_WIDTH, true)} </Text>
            <Text>
              {score(e.scores.schema).padStart(SCORE_WIDTH)} {score(e.scores.det).padStart(SCORE_WIDTH)}{" "}
              {score(e.scores.oracle).padStart(SCORE_WIDTH)}{" "}
            </Text>
            <Text>{fit(e.family, cols.family, true)} </Text>
            <Text color={theme.color(stale ? "gray" : "cyan")}>{shortSha(e.sha, 6)}</Text>
          </Text>
        );
      })}
    </Pane>
  );
}

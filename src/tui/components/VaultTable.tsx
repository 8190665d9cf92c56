import React from "react";
import { Text } from "ink";
import { selectiveOf } from "../../contract/rules.js";
import type { VaultEntry } from "../data.js";
import { fit, printable, score, shortSha, verdictCounts, windowStart } from "../format.js";
import { entryStyle, useTheme } from "../theme.js";
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

const VERDICT_WIDTH = 10; // "✓ compiled", "✗ rejected"
const FIGURE_WIDTH = 5; // " 0.97" under "cover", "agree"; "≥0.91" under "lower"
const ROBUST_WIDTH = 6; // "robust"
const FAMILY_WIDTH = 14;
const SHA_WIDTH = 12; // "eb4a23+bump1": a bumped sha must look different
/** The lower bound gets a column only where the bucket keys keep at least this much room. */
const MIN_BUCKET_WITH_LOWER = 24;
/** Room that fits a usual bucket key ("acme:classify_lead_tier:v1"); a wide pane gives the rest to the family. */
const BUCKET_ROOM = 34;
/** Compositions name every field's family ("composition(team: keyword_list, priority: decision_list)"). */
const MAX_FAMILY = 60;

export interface VaultColumns {
  bucket: number;
  family: number;
  /** Whether the selective agreement's lower bound has its own column. */
  lower: boolean;
}

/** Column widths for a given inner width; together with the fixed ones they fill it exactly. */
export function vaultColumns(width: number): VaultColumns {
  // verdict, cover, agree, robust, sha, and one space after each column but the last (family's included)
  const fixed = VERDICT_WIDTH + 2 * FIGURE_WIDTH + ROBUST_WIDTH + SHA_WIDTH + 6;
  let family = width >= 90 ? 20 : FAMILY_WIDTH;
  const lower = width - fixed - family - (FIGURE_WIDTH + 1) >= MIN_BUCKET_WITH_LOWER;
  const rest = width - fixed - (lower ? FIGURE_WIDTH + 1 : 0);
  if (rest - family > BUCKET_ROOM) family = Math.min(MAX_FAMILY, rest - BUCKET_ROOM);
  return { bucket: Math.max(8, rest - family), family, lower };
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
  const older = list.length - current.length;
  // A demoted entry is counted as demoted, not under the verdict it no longer serves with.
  const demoted = current.filter((e) => e.status === "demoted").length;
  const counts = verdictCounts(current.filter((e) => e.status !== "demoted").map((e) => e.verdict));
  const note = entries ? `${counts}${demoted ? ` · ${demoted} demoted` : ""}${older ? ` · ${older} older` : ""}` : undefined;
  const header = [
    fit("bucket", cols.bucket, true),
    fit("verdict", VERDICT_WIDTH, true),
    "cover".padStart(FIGURE_WIDTH),
    "agree".padStart(FIGURE_WIDTH),
    ...(cols.lower ? ["lower".padStart(FIGURE_WIDTH)] : []),
    "robust",
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
        const style = entryStyle(e);
        const sel = selectiveOf(e);
        // An entry that answered no later call (it abstains on every input) has no agreement to
        // show: 0.00 would read as "answered, and always wrong".
        const answeredNone = e.coverage === 0;
        const agree = answeredNone ? " -- " : score(sel.agreement);
        const lower = answeredNone || sel.lowerBound === undefined ? " -- " : `≥${score(sel.lowerBound)}`;
        return (
          <Text key={e._id} inverse={focused && isSelected} dimColor={stale} wrap="truncate">
            <Text bold={!focused && isSelected}>{fit(e.bucket, cols.bucket, true)} </Text>
            <Text color={theme.color(style.color)}>{fit(`${style.glyph} ${style.label}`, VERDICT_WIDTH, true)} </Text>
            <Text>
              {score(e.coverage).padStart(FIGURE_WIDTH)} {agree.padStart(FIGURE_WIDTH)}{" "}
              {cols.lower ? `${lower.padStart(FIGURE_WIDTH)} ` : ""}
              {score(e.scores.robustness).padStart(ROBUST_WIDTH)}{" "}
            </Text>
            <Text>{fit(e.family, cols.family, true)} </Text>
            <Text color={theme.color(stale ? "gray" : "cyan")}>{printable(shortSha(e.sha, 6))}</Text>
          </Text>
        );
      })}
    </Pane>
  );
}

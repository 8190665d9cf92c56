import React from "react";
import { render } from "ink-testing-library";
import { cleanup } from "ink-testing-library";
import { Table } from "@alcalzone/ink-table";
import { afterEach, describe, expect, test } from "vitest";
import { selectiveOf } from "../../convex/lib/verdicts.js";
import { Pane } from "../../src/tui/components/Pane.js";
import { VaultTable } from "../../src/tui/components/VaultTable.js";
import type { VaultEntry } from "../../src/tui/data.js";
import { score, shortSha } from "../../src/tui/format.js";
import { VERDICT_STYLES } from "../../src/tui/theme.js";
import { SHA, vault } from "./fixtures.js";
import { setSize, waitForFrame } from "./helpers.js";

afterEach(() => cleanup());

/**
 * Why the vault pane keeps its hand-made table instead of @alcalzone/ink-table (issue 11, item 3:
 * "unless a concrete case shows it cannot fit the pane"). ink-table 1.1.1 sizes every column by its
 * longest value (String.length + 2 x padding, padding at least 1: `padding || 1`), has no width,
 * no truncation and no way to leave out the rule it draws between every two rows, and its Cell is
 * told its column but not its row (no inverse selected row, no dimmed older-sha row). These tests
 * render it with the very values the vault pane shows, in the vault pane of a 100x30 terminal,
 * next to the hand-made table. Should a later ink-table fit, they fail, and the choice is revisited.
 */
const COLUMNS = 100;
const ROWS = 30;
// The vault pane of a 100x30 terminal before the savings pane took four of its rows (now 7): the
// case was made at 9 rows inside, and fewer rows only make ink-table's rules cost more.
const vaultHeight = 11;

const LONG = {
  ...vault[0],
  _id: "long1",
  // 51 characters: a valid key (at most 200), the kind a real export names its call sites with.
  bucket: "acme:classify_inbound_support_ticket_priority:v12",
  family: "composition(team: keyword_list, priority: decision_list)",
};

/** The vault pane's cells as text, exactly as the hand-made table writes them. */
function cells(e: VaultEntry) {
  const sel = selectiveOf(e);
  const style = VERDICT_STYLES[e.verdict];
  return {
    bucket: e.bucket,
    verdict: `${style.glyph} ${e.verdict}`,
    cover: score(e.coverage),
    agree: score(sel.agreement),
    lower: sel.lowerBound === undefined ? " -- " : `≥${score(sel.lowerBound)}`,
    robust: score(e.scores.robustness),
    family: e.family,
    sha: shortSha(e.sha, 6),
  };
}

async function draw(node: React.JSX.Element, waitText: string): Promise<string[]> {
  const app = render(node);
  setSize(app.stdout, COLUMNS, ROWS);
  await waitForFrame(app, waitText);
  return (app.lastFrame() ?? "").split("\n");
}

const inkTable = (entries: VaultEntry[]) =>
  draw(
    <Pane title="Vault" width={COLUMNS} height={vaultHeight} focused>
      <Table data={entries.map(cells)} />
    </Pane>,
    "bucket",
  );

const handMade = (entries: VaultEntry[]) =>
  draw(<VaultTable entries={entries} currentSha={SHA} selected={0} focused width={COLUMNS} height={vaultHeight} />, "bucket");

const showing = (lines: string[], entries: VaultEntry[]) => entries.filter((e) => lines.some((l) => l.includes(e.bucket)));

describe("ink-table cannot fit the vault pane (100x30 terminal: 96 columns, 9 rows inside the pane)", () => {
  test("the four fixture entries (keys of 19 to 26 characters): ink-table wants 104 columns and 11 rows; ink squeezes it, cutting a key and dropping the first entry; the hand-made table shows all 4", async () => {
    const entries = vault as unknown as VaultEntry[];
    const ink = await inkTable(entries);
    const hand = await handMade(entries);
    if (process.env.SHOW_INK_TABLE) console.log(`ink-table:\n${ink.join("\n")}\n\nhand-made:\n${hand.join("\n")}`);
    // Eight columns of content + 2 each + 9 rules = 104 > 96 columns, and 3 + 2 x 4 = 11 lines > 9:
    // ink shrinks cells (acme:classify_lead_tier:v1 loses its last character) and rows (the first
    // entry, the selected one, is gone while the rules around it stay).
    expect(showing(ink, entries).length).toBeLessThanOrEqual(2);
    expect(ink.some((l) => l.includes("acme:extract_company:v1"))).toBe(false);
    expect(ink.some((l) => l.includes("acme:classify_lead_tier:v") && !l.includes("acme:classify_lead_tier:v1"))).toBe(true);
    expect(showing(hand, entries)).toHaveLength(4);
    expect(hand.some((l) => /bucket\s+verdict\s+cover\s+agree\s+lower\s+robust\s+family\s+sha/.test(l))).toBe(true);
    for (const l of [...ink, ...hand]) expect([...l].length).toBeLessThanOrEqual(COLUMNS);
  });

  test("without the lower column (7 columns, 94 wide) ink-table fits the width, but with a rule between every two rows 4 entries need 11 lines: in 9, ink drops rows and the first entry is gone", async () => {
    const entries = vault as unknown as VaultEntry[];
    const app = render(
      <Pane title="Vault" width={COLUMNS} height={vaultHeight} focused>
        <Table data={entries.map((e) => { const { lower: _lower, ...rest } = cells(e); void _lower; return rest; })} />
      </Pane>,
    );
    setSize(app.stdout, COLUMNS, ROWS);
    await waitForFrame(app, "bucket");
    const ink = (app.lastFrame() ?? "").split("\n");
    if (process.env.SHOW_INK_TABLE) console.log(`ink-table, no lower column:\n${ink.join("\n")}`);
    expect(ink.some((l) => /bucket\s+│\s+verdict\s+│\s+cover\s+│\s+agree\s+│\s+robust\s+│\s+family\s+│\s+sha\s+│/.test(l))).toBe(true);
    expect(showing(ink, entries).length).toBeLessThanOrEqual(3);
    expect(ink.some((l) => l.includes("acme:extract_company:v1"))).toBe(false);
    expect(ink.filter((l) => l.includes("├")).length).toBeGreaterThanOrEqual(3);
  });

  test("a 51-character bucket key and a composition family: ink-table's rows outgrow the pane and wrap, the header too; the hand-made rows stay one line each", async () => {
    const entries = [LONG, ...vault.slice(0, 1)] as unknown as VaultEntry[];
    const ink = await inkTable(entries);
    // The columns want 4 + 51 + 57 + ... > 96: ink shrinks the cells and wraps them inside.
    expect(showing(ink, [LONG as unknown as VaultEntry])).toHaveLength(0); // the key is nowhere on one line
    expect(ink.some((l) => /bucket\s+│\s+verdict\s+│/.test(l))).toBe(false); // nor is the header
    const hand = await handMade(entries);
    expect(hand.some((l) => /bucket\s+verdict\s+cover\s+agree\s+lower\s+robust\s+family\s+sha/.test(l))).toBe(true);
    expect(hand.some((l) => /acme:classify_inbound_sup… ✓ compiled\s+0\.98\s+0\.97\s+≥0\.89\s+1\.00 composition\(team: k… a1b2c3/.test(l))).toBe(true);
    expect(hand.some((l) => /acme:extract_company:v1\s+✓ compiled/.test(l))).toBe(true);
    for (const l of hand) expect([...l].length).toBeLessThanOrEqual(COLUMNS);
    if (process.env.SHOW_INK_TABLE) console.log(`ink-table:\n${ink.join("\n")}\n\nhand-made:\n${hand.join("\n")}`);
  });
});

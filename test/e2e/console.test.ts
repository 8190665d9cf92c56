import { execFileSync, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, ROOT, tempDb, waitFor } from "./cli.js";

/** The console as a person sees it: a real terminal (tmux), real keys, the screen read back. */
function ensureTmux(): string | undefined {
  const has = () => spawnSync("tmux", ["-V"]).status === 0;
  if (has()) return undefined;
  // CI machines start without tmux; Debian's package is reachable there.
  spawnSync("bash", ["-c", "apt-get update -qq && apt-get install -y -qq tmux"], { stdio: "ignore", timeout: 240_000 });
  return has() ? undefined : "tmux is not installed and apt-get could not install it";
}

const session = `compile-e2e-${process.pid}`;
const tmux = (...args: string[]) => execFileSync("tmux", args, { encoding: "utf8" });
const screen = () => tmux("capture-pane", "-p", "-t", session);
/** waitFor, but a timeout shows what the terminal showed: the only useful clue when it fails. */
async function waitForScreen<T>(what: string, probe: () => T | undefined | false, timeoutMs: number, everyMs = 200): Promise<T> {
  try {
    return await waitFor(what, probe, timeoutMs, everyMs);
  } catch (e) {
    let last = "(no pane)";
    try {
      last = screen();
    } catch {
      // the session is gone: say so below
    }
    throw new Error(`${(e as Error).message}; the screen was:\n${last}`);
  }
}

const missing = ensureTmux();

const CALL_SITES = ["acme:classify_lead_tier:v1", "acme:route_ticket:v1", "acme:normalize_country:v1", "acme:summarize_feedback:v1"];
const GLYPHS: Record<string, string> = { compiled: "✓", partial: "◐", waiting: "…", rejected: "✗" };

/** The vault pane's rows (below its title): bucket -> verdict, kept only where the glyph matches the verdict. */
function vaultRows(s: string): Map<string, string> {
  const rows = new Map<string, string>();
  const at = s.search(/Vault · /);
  if (at < 0) return rows;
  for (const m of s.slice(at).matchAll(/(acme:[a-z_]+:v\d+)\s+([✓◐…✗]) (compiled|partial|waiting|rejected)\b/g)) {
    if (GLYPHS[m[3]] === m[2]) rows.set(m[1], m[3]);
  }
  return rows;
}

describe.skipIf(missing !== undefined)(`the console in a real 100x30 terminal${missing ? ` (skipped: ${missing})` : ""}`, () => {
  const db = tempDb();
  beforeAll(() => {
    const command = `cd ${ROOT} && ${process.execPath} ${CLI} tui --db ${db} --speed 20; echo "EXIT=$?"; sleep 60`;
    tmux("new-session", "-d", "-s", session, "-x", "100", "-y", "30", command);
  });
  afterAll(() => {
    spawnSync("tmux", ["kill-session", "-t", session]);
  });

  it("shows traces flowing and vault entries appearing, pauses on p, quits cleanly on q", async () => {
    await waitForScreen("the console's first frame", () => /Trigger/i.test(screen()), 45_000);
    // Whatever the verdicts are: an entry per call site, each with its verdict's glyph.
    const withVault = await waitForScreen("a vault entry with a verdict for every call site", () => {
      const s = screen();
      return vaultRows(s).size === CALL_SITES.length ? s : undefined;
    }, 90_000, 250);
    expect(withVault).toMatch(/Triggers/);
    const rows = vaultRows(withVault);
    expect([...rows.keys()].sort()).toEqual([...CALL_SITES].sort());
    // The pane's title counts the same verdicts its rows show.
    const title = /Vault · ([^\n━]*)/.exec(withVault)?.[1] ?? "";
    const counts = Object.fromEntries([...title.matchAll(/(\d+) (compiled|partial|waiting|rejected)/g)].map((m) => [m[2], Number(m[1])]));
    for (const verdict of Object.keys(GLYPHS)) expect(counts[verdict] ?? 0, `${verdict} in "${title}"`).toBe([...rows.values()].filter((v) => v === verdict).length);
    writeFileSync(path.join(path.dirname(db), "screen.txt"), withVault);
    process.stdout.write(`\n--- console capture (100x30) ---\n${withVault}\n--- end ---\n`);

    // The pipeline's STEP rows are in the stream (a fast replay soon scrolls them out of view: filter).
    // One key at a time, each after the screen shows the last one took (keys sent together can
    // arrive as one chunk of input).
    tmux("send-keys", "-t", session, "/");
    await waitForScreen("the filter prompt", () => (/filter triggers:/.test(screen()) ? screen() : undefined), 10_000);
    tmux("send-keys", "-t", session, "-l", "STEP");
    await waitForScreen("the typed filter", () => (/filter triggers:\s*STEP/.test(screen()) ? screen() : undefined), 10_000);
    tmux("send-keys", "-t", session, "Enter");
    const filtered = await waitForScreen("STEP rows under the filter", () => (/› STEP/.test(screen()) ? screen() : undefined), 10_000);
    expect(filtered).toMatch(/› STEP .*(claimed|scan|synthesize|stage2|gate|envelope|vault)/);
    tmux("send-keys", "-t", session, "Escape");
    // A key sent right after ESC would reach the console as alt+key: wait until the filter is gone.
    await waitForScreen("the filter cleared", () => (/Triggers · \//.test(screen()) ? undefined : screen()), 10_000);

    tmux("send-keys", "-t", session, "p");
    const paused = await waitForScreen("PAUSED after p", () => (/PAUSED/.test(screen()) ? screen() : undefined), 10_000);
    expect(paused).toMatch(/PAUSED/);

    tmux("send-keys", "-t", session, "q");
    const after = await waitForScreen("a clean exit", () => (/EXIT=\d+/.test(screen()) ? screen() : undefined), 20_000);
    expect(after).toMatch(/EXIT=0/);
    expect(after).toMatch(/console closed/);
  });
});

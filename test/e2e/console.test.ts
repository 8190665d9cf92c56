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
    const withVault = await waitForScreen("compiled vault entries on screen", () => {
      const s = screen();
      const compiled = /Vault · (\d+) compiled/.exec(s);
      return compiled && Number(compiled[1]) >= 2 ? s : undefined;
    }, 90_000, 250);
    expect(withVault).toMatch(/Triggers/);
    expect(withVault).toMatch(/STEP/);
    expect(withVault).toMatch(/acme:/);
    writeFileSync(path.join(path.dirname(db), "screen.txt"), withVault);
    process.stdout.write(`\n--- console capture (100x30) ---\n${withVault}\n--- end ---\n`);

    tmux("send-keys", "-t", session, "p");
    const paused = await waitForScreen("PAUSED after p", () => (/PAUSED/.test(screen()) ? screen() : undefined), 10_000);
    expect(paused).toMatch(/PAUSED/);

    tmux("send-keys", "-t", session, "q");
    const after = await waitForScreen("a clean exit", () => (/EXIT=\d+/.test(screen()) ? screen() : undefined), 20_000);
    expect(after).toMatch(/EXIT=0/);
    expect(after).toMatch(/console closed/);
  });
});

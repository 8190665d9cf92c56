import { execFileSync, spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshInputs, groundTruth, type Era } from "../../data/acme-agent/scripts/generate-seed.js";
import { canonicalJson } from "../../src/compiler/canonical.js";
import type { VaultEntry } from "../../src/contract/documents.js";
import { loadFunction } from "../../src/runtime/loadFunction.js";
import { CLI, ROOT, runCli, tempDb, waitFor } from "./cli.js";

/**
 * The README's first run, as a newcomer sees it: `compile-daemon tui` on an empty store, a real
 * 120x40 terminal (tmux), no key pressed until the end. The example's day holds a model upgrade that
 * changes the lead-tier answers; the console must show, on its own, calls served and savings growing,
 * the DRIFT, the demoted entry and the recompile, and the recompile must have learned the new answers.
 */
function ensureTmux(): string | undefined {
  const has = () => spawnSync("tmux", ["-V"]).status === 0;
  if (has()) return undefined;
  spawnSync("bash", ["-c", "apt-get update -qq && apt-get install -y -qq tmux"], { stdio: "ignore", timeout: 240_000 });
  return has() ? undefined : "tmux is not installed and apt-get could not install it";
}

const LEAD = "acme:classify_lead_tier:v1";
const session = `compile-first-run-${process.pid}`;
const tmux = (...args: string[]) => execFileSync("tmux", args, { encoding: "utf8" });
const screen = () => tmux("capture-pane", "-p", "-t", session);
const missing = ensureTmux();

/** The savings pane's row of a bucket: calls served and dollars saved so far. */
function savingsOf(s: string, bucket: string): { served: number; saved: number } | undefined {
  const at = s.search(/Savings · /);
  if (at < 0) return undefined;
  const escaped = bucket.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const m = new RegExp(`${escaped}\\s+([\\d,]+)\\s+[\\d,]+\\s+[\\d.]+\\s+\\S+\\s+\\S+\\s+\\$([\\d.]+)`).exec(s.slice(at));
  return m ? { served: Number(m[1].replace(/,/g, "")), saved: Number(m[2]) } : undefined;
}

/** How often a function's answers match a rule's, over the inputs it answers. */
function agreementWith(fn: (input: unknown) => unknown, inputs: unknown[], era: Era): { rate: number; answered: number } {
  let answered = 0;
  let agree = 0;
  for (const input of inputs) {
    const out = fn(input);
    if (out === undefined) continue;
    answered++;
    if (canonicalJson(out) === canonicalJson(groundTruth("classify_lead_tier", input, era))) agree++;
  }
  return { rate: answered ? agree / answered : 0, answered };
}

describe.skipIf(missing !== undefined)(`the first run in a real 120x40 terminal${missing ? ` (skipped: ${missing})` : ""}`, () => {
  const db = tempDb();
  beforeAll(() => {
    // Exactly the README's command on an empty store: no --speed, no key.
    const command = `cd ${ROOT} && ${process.execPath} ${CLI} tui --db ${db}; echo "EXIT=$?"; sleep 60`;
    tmux("new-session", "-d", "-s", session, "-x", "120", "-y", "40", command);
  });
  afterAll(() => {
    spawnSync("tmux", ["kill-session", "-t", session]);
  });

  it("shows served calls and savings growing, a DRIFT, the demotion and the recompile, without a key press", async () => {
    const started = Date.now();
    const seen: Record<string, number> = {};
    const mark = (what: string) => (seen[what] ??= Math.round((Date.now() - started) / 1000));
    let firstSavings: { served: number; saved: number } | undefined;
    let grown: { served: number; saved: number } | undefined;
    let last = "";
    try {
      await waitFor(
        "served calls and savings growing, a DRIFT row, a demoted entry and a newer entry for the lead tier",
        () => {
          const s = (last = screen());
          const savings = savingsOf(s, LEAD);
          if (savings && savings.served > 0) {
            mark("served");
            firstSavings ??= savings;
            if (savings.served > firstSavings.served && savings.saved > firstSavings.saved) grown ??= (mark("savings growing"), savings);
          }
          if (/≠ DRIFT\s+(acme:)?classify_lead_tier/.test(s)) mark("DRIFT row");
          // Vault rows are newest first: a lead entry listed above the demoted one is a recompile; the
          // first ones learn from a few traces since the drift and wait, until one is served again.
          const vault = s.slice(Math.max(0, s.search(/Vault · /)));
          const demotedAt = vault.search(/acme:classify_lead_tier:v1\s+≠ demoted/);
          if (demotedAt >= 0) mark("demoted entry");
          const activeAt = vault.search(/acme:classify_lead_tier:v1\s+[✓◐…✗] (compiled|partial|waiting|rejected)/);
          if (demotedAt >= 0 && activeAt >= 0 && activeAt < demotedAt) mark("recompiled entry");
          const usableAt = vault.search(/acme:classify_lead_tier:v1\s+[✓◐] (compiled|partial)/);
          if (demotedAt >= 0 && usableAt >= 0 && usableAt < demotedAt) mark("recompile served again");
          return ["savings growing", "DRIFT row", "demoted entry", "recompiled entry", "recompile served again"].every((k) => k in seen) ? true : undefined;
        },
        // About 70 s on an idle machine; a loaded CI machine compiles more slowly, so the deadline is
        // generous (and below the test's own timeout, so a miss reports what was seen).
        540_000,
        250,
      );
    } catch (e) {
      throw new Error(`${(e as Error).message}; seen ${JSON.stringify(seen)}; the screen was:\n${last}`);
    }
    process.stdout.write(`\nfirst run, seconds after start: ${JSON.stringify(seen)}; savings ${JSON.stringify(firstSavings)} -> ${JSON.stringify(grown)}\n${last}\n`);

    // The recompile learned the upgraded model's answers; the demoted entry had learned the old ones.
    const listed = runCli(["vault", "list", "--json", "--db", db]);
    expect(listed.status, listed.stderr).toBe(0);
    // One JSON document per line, newest first.
    const entries = listed.stdout.split("\n").filter(Boolean).map((line) => JSON.parse(line) as VaultEntry).filter((e) => e.bucket === LEAD);
    const demoted = entries.find((e) => e.status === "demoted");
    expect(demoted?.demotion?.evidence).toMatch(/CUSUM/);
    const newer = entries.filter((e) => e.status !== "demoted" && e.writtenAt > (demoted?.demotion?.at ?? Infinity));
    const usable = newer.find((e) => e.verdict === "compiled" || e.verdict === "partial");
    expect(usable, `a usable recompile among ${newer.map((e) => e.verdict).join(", ")}`).toBeDefined();
    // It says what it learned from: only the traces since the drift began.
    expect(usable!.window?.sinceSeq).toBeGreaterThan(0);
    expect(usable!.window!.traces).toBeLessThanOrEqual(usable!.window!.of);
    const inputs = freshInputs("classify_lead_tier", 7, 2000);
    const before = loadFunction(demoted!.code, demoted!.codeHash!);
    const after = loadFunction(usable!.code, usable!.codeHash!);
    const oldOnOld = agreementWith(before, inputs, "before-upgrade");
    const oldOnNew = agreementWith(before, inputs, "after-upgrade");
    const newOnNew = agreementWith(after, inputs, "after-upgrade");
    const newOnOld = agreementWith(after, inputs, "before-upgrade");
    process.stdout.write(`demoted entry: ${oldOnOld.rate.toFixed(3)} with the old rule, ${oldOnNew.rate.toFixed(3)} with the new; recompile: ${newOnNew.rate.toFixed(3)} with the new, ${newOnOld.rate.toFixed(3)} with the old (${newOnNew.answered} of ${inputs.length} answered)\n`);
    expect(oldOnOld.rate).toBeGreaterThan(oldOnNew.rate);
    expect(newOnNew.rate).toBeGreaterThan(newOnOld.rate);
    expect(newOnNew.rate).toBeGreaterThanOrEqual(0.85);

    tmux("send-keys", "-t", session, "q");
    const after2 = await waitFor("a clean exit", () => (/EXIT=\d+/.test(screen()) ? screen() : undefined), 30_000);
    expect(after2).toMatch(/EXIT=0/);
  }, 600_000);
});

import { afterEach, describe, expect, test } from "vitest";
import { cleanup } from "ink-testing-library";
import { CONTROL_ACTIONS } from "../../src/contract/actions.js";
import { UI_KEYS } from "../../src/tui/keymap.js";
import { FakeClient } from "./fakeClient.js";
import { fullData } from "./fixtures.js";
import { KEYS, renderApp } from "./helpers.js";

afterEach(() => cleanup());


describe("control actions (the table ctl uses)", () => {
  test.each([
    ["p", "daemon/control:pause", "✓ paused"],
    ["s", "daemon/control:start", "✓ running"],
    ["b", "daemon/control:bumpSha", "✓ code sha bumped"],
  ])("%s calls %s with the admin token and shows feedback", async (key, name, feedback) => {
    const { press, client, frame } = await renderApp();
    await press(key);
    expect(client.mutations).toEqual([{ name, args: {} }]);
    expect(frame()).toContain(feedback);
  });

  test("+ and - send one nudgeSpeed each, never a speed computed from a read", async () => {
    const client = new FakeClient(fullData());
    client.mutationResults.set("daemon/control:nudgeSpeed", [{ speedMs: 500, previousMs: 1000 }, { speedMs: 250, previousMs: 500 }, { speedMs: 500, previousMs: 250 }]);
    const { press, frame } = await renderApp({ client });
    await press("+");
    expect(client.mutations).toEqual([{ name: "daemon/control:nudgeSpeed", args: { direction: "faster" } }]);
    expect(frame()).toContain("✓ speed 500 ms per trace");
    // Two quick presses: two nudges, each resolved by the backend against the stored pause.
    await press("+", "-");
    expect(client.mutations.slice(1)).toEqual([
      { name: "daemon/control:nudgeSpeed", args: { direction: "faster" } },
      { name: "daemon/control:nudgeSpeed", args: { direction: "slower" } },
    ]);
    expect(client.mutations.some((m) => m.name === "daemon/control:speed")).toBe(false);
  });

  test("a refused action shows in the command line and as the footer's last error", async () => {
    const { press, client, frame } = await renderApp();
    client.mutationError = new Error("bad admin token");
    await press("p");
    const f = frame();
    expect(f).toContain("✗ pause: bad admin token");
    expect(f).toMatch(/RUNNING .*│ ✗ pause: bad admin token/);
  });
});

describe("reset asks first, default No", () => {
  test("R then y resets", async () => {
    const { press, client, frame } = await renderApp();
    await press("R");
    expect(frame()).toContain("Reset the replay and clear traces, buckets, jobs and triggers? [y/N]");
    expect(frame()).toContain("y yes  n/enter/esc no (default)");
    expect(client.mutations).toEqual([]);
    await press("y");
    expect(client.mutations).toEqual([{ name: "daemon/control:reset", args: { all: false } }]);
    expect(frame()).toContain("✓ reset (vault kept)");
  });

  test.each([
    ["n", "n"],
    ["enter", KEYS.enter],
    ["esc", KEYS.escape],
    ["any other key", "p"],
  ])("R then %s does nothing", async (_, key) => {
    const { press, client, frame } = await renderApp();
    await press("R", key);
    expect(client.mutations).toEqual([]);
    expect(frame()).toContain("reset cancelled");
    expect(frame()).not.toContain("[y/N]");
  });
});

describe("reset runs to its end, batch by batch, as ctl reset does", () => {
  test("R y: reset, then resetBatch until done, with progress on the command line", async () => {
    const client = new FakeClient(fullData());
    const cutoffs = { proxy_traces: 5, buckets: 1, pending_compiles: 2, trigger_events: 3, vault_index: -1 };
    client.mutationResults.set("daemon/control:reset", [{ done: false, deleted: 4000, estimate: 10_000, cutoffs }]);
    client.mutationResults.set("daemon/control:resetBatch", [
      { done: false, deleted: 4000 },
      { done: true, deleted: 2000 },
    ]);
    let release: (() => void) | undefined;
    const gate = () => new Promise<void>((resolve) => (release = resolve));
    client.mutationDelay = () => (client.mutations.length >= 2 ? gate() : Promise.resolve());
    const { press, frame, settled } = await renderApp({ client });
    await press("R", "y");
    expect(frame()).toContain("reset: 4,000 of about 10,000 rows deleted…");
    expect(client.mutations).toHaveLength(2); // the first resetBatch waits at the gate
    release?.();
    await settled();
    expect(client.mutations).toHaveLength(3);
    release?.();
    await settled();
    expect(client.mutations.map((m) => m.name)).toEqual(["daemon/control:reset", "daemon/control:resetBatch", "daemon/control:resetBatch"]);
    expect(client.mutations[1].args).toEqual({ cutoffs });
    expect(frame()).toContain("✓ reset (vault kept): 10,000 rows deleted");
  });
});

describe("inject prompts for a number into the selected bucket", () => {
  test("tab to buckets, j selects, i asks how many, the typed number is sent", async () => {
    const { press, client, frame } = await renderApp();
    await press(KEYS.tab, "j", "i");
    expect(frame()).toContain("inject into acme:draft_reply:v1: how many traces? (1-1000, enter = 10)");
    await press("2", "5");
    expect(frame()).toContain("25█");
    expect(client.mutations).toEqual([]);
    await press(KEYS.enter);
    expect(client.mutations).toEqual([{ name: "daemon/control:inject", args: { bucket: "acme:draft_reply:v1", n: 25 } }]);
    expect(frame()).toContain("✓ injected 25 into acme:draft_reply:v1");
  });

  test("enter on an empty prompt takes the default; backspace edits; letters are ignored", async () => {
    const { press, client } = await renderApp();
    await press("i", "7", "x", KEYS.backspace, KEYS.enter);
    expect(client.mutations).toEqual([{ name: "daemon/control:inject", args: { bucket: "acme:classify_lead_tier:v1", n: 10 } }]);
  });

  test("out of range is refused and the prompt stays open; esc cancels", async () => {
    const { press, client, frame } = await renderApp();
    await press("i", "0", KEYS.enter);
    expect(client.mutations).toEqual([]);
    expect(frame()).toContain("how many traces?");
    // The refusal is said on the prompt line itself.
    expect(frame()).toContain("how many traces? ✗ a whole number from 1 to 1000");
    await press(KEYS.escape);
    expect(client.mutations).toEqual([]);
    expect(frame()).toContain("inject cancelled");
    expect(frame()).not.toContain("how many traces?");
  });

  test("a number and enter arriving in one chunk (a paste) are typed and submitted", async () => {
    const { press, client } = await renderApp();
    await press("i", "42\r");
    expect(client.mutations).toEqual([{ name: "daemon/control:inject", args: { bucket: "acme:classify_lead_tier:v1", n: 42 } }]);
  });

  test("with no buckets it says so instead of prompting", async () => {
    const { press, client, frame } = await renderApp({ data: { "daemon/ingest:buckets": { threshold: 30, buckets: [] } } });
    await press("i");
    expect(frame()).toContain("no bucket to inject into yet");
    expect(frame()).not.toContain("how many");
    expect(client.mutations).toEqual([]);
  });
});

describe("filter", () => {
  test("/ filters the trigger stream as you type; enter keeps it; esc clears it", async () => {
    const { press, frame } = await renderApp();
    await press("/", "v", "o", "l");
    let f = frame();
    expect(f).toContain("Triggers · /vol█ (1/7)");
    expect(f).toContain("▲ VOLUME");
    expect(f).not.toContain("◆ BOOT");
    expect(f).toContain("filter triggers: vol█");
    await press(KEYS.enter);
    f = frame();
    expect(f).toContain("Triggers · /vol (1/7)");
    expect(f).not.toContain("◆ BOOT");
    // Back in normal mode: keys are keys again, and esc is offered to clear.
    expect(f).toContain("esc clear filter");
    await press(KEYS.escape);
    f = frame();
    expect(f).toContain("Triggers · 7");
    expect(f).toContain("◆ BOOT");
  });

  test("letters that are keys elsewhere are text while filtering; esc clears from the prompt", async () => {
    const { press, frame, client, quits } = await renderApp();
    await press("/", "q", "p");
    expect(quits).toHaveLength(0);
    expect(client.mutations).toEqual([]);
    expect(frame()).toContain("nothing matches \"qp\"");
    await press(KEYS.backspace, KEYS.backspace, "b", "o", "o", "t");
    expect(frame()).toContain("◆ BOOT");
    expect(frame()).not.toContain("▲ VOLUME");
    await press(KEYS.escape);
    expect(frame()).toContain("▲ VOLUME");
  });
});

describe("help overlay", () => {
  test("? shows every action and UI key from the tables, ? and esc close it", async () => {
    const { press, frame } = await renderApp({ columns: 120, rows: 40 });
    await press("?");
    const f = frame();
    for (const a of CONTROL_ACTIONS.filter((x) => x.key)) expect(f, a.id).toContain(`${a.key!.padEnd(9)} ${a.help}`.slice(0, 50));
    for (const k of UI_KEYS.filter((x) => x.id === "filter" || x.id === "open" || x.id === "focus-next")) expect(f, k.id).toContain(k.help.slice(0, 50));
    expect(f).toContain("(asks first, default No)");
    expect(f).toContain("↻ RECOVERY");
    expect(f).not.toContain("Heartbeat");
    await press("?");
    expect(frame()).toContain("Heartbeat");
    await press("?", KEYS.escape);
    expect(frame()).toContain("Heartbeat");
  });

  test("at 80x24 the help scrolls with j", async () => {
    const { press, frame } = await renderApp({ columns: 80, rows: 24 });
    await press("?");
    expect(frame()).toContain("Actions (the same as");
    expect(frame()).not.toContain("dimmed: compiled under an older code sha");
    await press(...Array(30).fill("j"));
    expect(frame()).toContain("dimmed: compiled under an older code sha");
  });
});

describe("focus, selection, detail", () => {
  test("tab cycles buckets → triggers → vault; shift-tab goes back", async () => {
    const { press, frame } = await renderApp();
    expect(frame()).toContain("▶ Vault");
    await press(KEYS.tab);
    expect(frame()).toContain("▶ Buckets");
    expect(frame()).not.toContain("▶ Vault");
    await press(KEYS.tab);
    expect(frame()).toContain("▶ Triggers");
    await press(KEYS.tab);
    expect(frame()).toContain("▶ Vault");
    await press(KEYS.shiftTab);
    expect(frame()).toContain("▶ Triggers");
  });

  test("enter opens the selected vault entry: code, scores, reasons, envelope; esc returns", async () => {
    const { press, frame } = await renderApp();
    await press(KEYS.enter);
    const f = frame();
    expect(f).toContain("Vault entry acme:extract_company:v1");
    expect(f).toContain("✓ compiled · string_transform · sha a1b2c3d");
    expect(f).toContain("coverage  0.98 of later calls answered");
    expect(f).toContain("agreement 0.97 [0.89, 0.99] (95%) with the recorded answers, on the calls it answered");
    expect(f).toContain("baseline  0.12 always answering the most common answer");
    expect(f).toContain("checks    schema 1.00 · det 1.00 · robustness 1.00");
    expect(f).toContain("traces    80 (trained on 80, evaluated on 61 later calls)");
    expect(f).toMatch(/reasons\s*┃\n┃\s+\(none\)/);
    expect(f).toContain("calls: 1 item");
    expect(f).toContain("1 │ export default function compiled(input) {");
    expect(f).toContain("3 │   return { company: input.email.split('@')[1].split('.')[0] };");
    await press(KEYS.escape);
    expect(frame()).toContain("Heartbeat");
    expect(frame()).not.toContain("Vault entry");
  });

  test("a partial entry says what it answers, its interval, its reason and the fixtures it deferred", async () => {
    const { press, frame } = await renderApp({ columns: 120, rows: 40 });
    await press("j", "j", KEYS.enter);
    const f = frame();
    expect(f).toContain("◐ partial · lookup · sha a1b2c3d");
    expect(f).toContain("answers the inputs it has evidence for, defers the rest to the model");
    expect(f).toContain("coverage  0.62 of later calls answered; on the rest it returns undefined and the model answers");
    expect(f).toContain("agreement 0.97 [0.89, 0.99] (95%)");
    expect(f).toContain("checks    schema 1.00 · det 1.00 · robustness 0.99");
    expect(f).toContain("· coverage 0.62 (62 of 100 later calls answered) is below 0.95");
    expect(f).toContain("calls: 2 items (1 deferred to the model)");
  });

  test("a waiting entry says it will compile again as traces grow", async () => {
    const { press, frame } = await renderApp({ columns: 120, rows: 40 });
    await press("j", "j", "j", KEYS.enter);
    const f = frame();
    expect(f).toContain("… waiting · decision_tree");
    expect(f).toContain("looks right, too little evidence yet: compiles again as traces grow");
    expect(f).toContain("agreement 1.00 [0.72, 1.00] (95%)");
    expect(f).toMatch(/envelope\s*┃\n┃\s+\(none\)/);
  });

  test("long reasons wrap in the detail view instead of being cut", async () => {
    const { fullData, vault } = await import("./fixtures.js");
    const reason = "oracle 0.82 < 0.90: agreement with held-out recorded answers; the constant baseline gets 0.41 (12 of 30) so the lookup table is not enough here";
    const entry = { ...vault[0], reasons: [reason] };
    const { press, frame } = await renderApp({ data: { ...fullData(), "daemon/vault:list": [entry] }, columns: 80, rows: 24 });
    await press(KEYS.enter);
    const text = frame().replace(/[┃│]/g, " ").replace(/\s+/g, " ");
    expect(text).toContain(reason);
  });

  test("j / down arrow select the next entry, k / up the previous", async () => {
    const { press, frame } = await renderApp();
    await press("j", KEYS.enter);
    expect(frame()).toContain("Vault entry acme:draft_reply:v1");
    expect(frame()).toContain("· no lift over always answering the most common answer (0.207, 6 of 29)");
    await press(KEYS.escape, "k", KEYS.enter);
    expect(frame()).toContain("Vault entry acme:extract_company:v1");
    await press(KEYS.escape, KEYS.down, KEYS.enter);
    expect(frame()).toContain("Vault entry acme:draft_reply:v1");
    await press(KEYS.escape, KEYS.up, KEYS.enter);
    expect(frame()).toContain("Vault entry acme:extract_company:v1");
  });

  test("selection in the trigger stream moves the highlight and stops at the ends", async () => {
    const { press, frame } = await renderApp();
    await press(KEYS.tab, KEYS.tab);
    // Selected row is drawn inverse; the plain frame cannot show it, so check bounds through inject-free moves.
    await press("k", "k");
    expect(frame()).toContain("▶ Triggers");
    await press(...Array(10).fill("j"));
    expect(frame()).toContain("◆ BOOT");
  });

  test("enter outside the vault explains itself", async () => {
    const { press, frame } = await renderApp();
    await press(KEYS.tab, KEYS.enter);
    expect(frame()).toContain("enter opens a vault entry: tab to the Vault pane first");
  });

  test("the detail view scrolls with j and stays when the entry leaves the vault", async () => {
    const long = { code: Array.from({ length: 60 }, (_, i) => `const line${i} = ${i};`).join("\n") };
    const { fullData, vault } = await import("./fixtures.js");
    const entry = { ...vault[0], ...long };
    const { press, frame, client } = await renderApp({ data: { ...fullData(), "daemon/vault:list": [entry] }, columns: 80, rows: 24 });
    await press(KEYS.enter);
    expect(frame()).not.toContain("const line59 = 59;");
    await press(...Array(80).fill("j"));
    expect(frame()).toContain("const line59 = 59;");
    client.push("daemon/vault:list", []);
    await press();
    expect(frame()).toContain("no longer in the vault");
    expect(frame()).toContain("const line59 = 59;");
  });
});

describe("quit", () => {
  test("q calls onQuit once", async () => {
    const { press, quits } = await renderApp();
    await press("q", "q");
    expect(quits).toHaveLength(1);
  });

  test("Ctrl-C quits from normal mode, from a prompt and from the filter", async () => {
    for (const prefix of [[], ["i"], ["/"], ["R"], ["?"]]) {
      const { press, quits, unmount } = await renderApp();
      await press(...prefix, KEYS.ctrlC);
      expect(quits, prefix.join("")).toHaveLength(1);
      unmount();
    }
  });
});

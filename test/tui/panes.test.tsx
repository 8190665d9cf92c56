import { afterEach, describe, expect, test } from "vitest";
import { cleanup } from "ink-testing-library";
import { FakeClient } from "./fakeClient.js";
import * as fx from "./fixtures.js";
import { KEYS, renderApp, setSize } from "./helpers.js";
import { vaultColumns } from "../../src/tui/components/VaultTable.js";

afterEach(() => cleanup());

const lines = (frame: string) => frame.split("\n");
const lineWith = (frame: string, text: string) => lines(frame).find((l) => l.includes(text)) ?? "";

describe("trigger stream", () => {
  test("shows every kind with its glyph and label, newest first", async () => {
    const { frame } = await renderApp();
    const f = frame();
    // The three routine rows in a row (STEP, EVENT, SCHEDULE) fold into one line that counts them.
    const expected = [
      ["▲", "VOLUME"],
      ["⋯", "×3          1 STEP, 1 EVENT, 1 SCHEDULE · newest: "],
      ["Δ", "CODE_CHANGE"],
      ["↻", "RECOVERY"],
      ["◆", "BOOT"],
    ];
    const positions = expected.map(([glyph, label]) => {
      const i = f.indexOf(`${glyph} ${label}`);
      expect(i, `${glyph} ${label}`).toBeGreaterThan(-1);
      return i;
    });
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(f).toContain("Triggers · 7");
    expect(f).not.toContain("• EVENT");
  });

  test("a filter shows every matching row, routine ones included, each with its glyph", async () => {
    const { frame, press, settled } = await renderApp();
    await press("/", "e", KEYS.enter);
    await settled();
    const f = frame();
    for (const row of ["› STEP", "• EVENT", "○ SCHEDULE", "▲ VOLUME", "Δ CODE_CHANGE"]) expect(f, row).toContain(row);
    expect(f).not.toContain("⋯ ×");
  });

  test("a notable row stays in view when routine rows have pushed it out of the newest 200", async () => {
    const { frame, client, settled } = await renderApp();
    const now = Date.now();
    const routine = Array.from({ length: 200 }, (_, i) => ({
      _id: `r${i}`,
      _creationTime: 0,
      kind: i % 3 ? "TRIGGER:EVENT" : "TRIGGER:SCHEDULE",
      bucket: "acme:classify_lead_tier:v1",
      detail: `replay trace seq ${2000 - i}`,
      at: now - i,
    }));
    const drift = { _id: "d", _creationTime: 0, kind: "TRIGGER:DRIFT", bucket: "acme:classify_lead_tier:v1", detail: "agreement 41/54 = 0.76; CUSUM 9.72", at: now - 5000 };
    client.push("daemon/triggers:recent", routine);
    client.push("daemon/triggers:notable", [drift]);
    await settled();
    const f = frame();
    expect(f).toContain("≠ DRIFT");
    expect(f).toContain("⋯ ×200");
    expect(f.indexOf("⋯ ×200")).toBeLessThan(f.indexOf("≠ DRIFT"));
  });

  test("a new row arrives at the top from the subscription", async () => {
    const { frame, client, settled } = await renderApp();
    client.push("daemon/triggers:recent", [
      { _id: "new", _creationTime: 0, kind: "TRIGGER:VOLUME", bucket: "acme:route_ticket:v1", detail: "fresh volume row", at: Date.now() },
      ...fx.triggers,
    ]);
    await settled();
    const f = frame();
    expect(f).toContain("fresh volume row");
    expect(f.indexOf("fresh volume row")).toBeLessThan(f.indexOf("▲ VOLUME      classify_lead_tier · 30 traces"));
    expect(f).toContain("Triggers · 8");
  });

  test("narrow streams name the call site only; wide ones the whole bucket", async () => {
    const narrow = await renderApp({ columns: 100 });
    expect(narrow.frame()).toContain("▲ VOLUME      classify_lead_tier · 30 traces");
    narrow.unmount();
    const wide = await renderApp({ columns: 160 });
    expect(wide.frame()).toContain("▲ VOLUME      acme:classify_lead_tier:v1 · 30 traces reached threshold 30");
  });

  test("a burst of updates is batched into few frames", async () => {
    const app = await renderApp();
    const before = app.frames.length;
    for (let i = 0; i < 200; i++) {
      app.client.push("daemon/triggers:recent", [
        { _id: `burst${i}`, _creationTime: 0, kind: "TRIGGER:EVENT", detail: `burst ${i}`, at: Date.now() },
        ...fx.triggers,
      ]);
    }
    await app.settled();
    expect(app.frame()).toContain("burst 199");
    expect(app.frame()).not.toContain("burst 198");
    expect(app.frames.length - before).toBeLessThanOrEqual(3);
  });
});

describe("heartbeat", () => {
  test("status, client-side age of the last beat, pid, uptime, backend and compute", async () => {
    const beat = [{ ...fx.heartbeat[0], startedAt: Date.now() - 125_500, lastBeatAt: Date.now() - 3_500 }];
    const { frame } = await renderApp({ data: { ...fx.fullData(), "daemon/heartbeat:status": beat } });
    const f = frame();
    expect(f).toMatch(/● running · beat [34]s ago/);
    expect(f).toMatch(/pid 4242 · up 2m0[56]s/);
    expect(f).toContain("embedded · compute local");
  });

  test("a beat older than three periods is flagged", async () => {
    const stale = [{ ...fx.heartbeat[0], lastBeatAt: Date.now() - 20_000 }];
    const { frame } = await renderApp({ data: { ...fx.fullData(), "daemon/heartbeat:status": stale } });
    expect(frame()).toContain("✗ running? · beat 20s ago");
  });

  test("the freshest of several daemons is shown and the others counted", async () => {
    const other = { ...fx.heartbeat[0], _id: "hb2", daemonId: "d2", pid: 999, lastBeatAt: Date.now() - 60_000, status: "stopped" };
    const { frame } = await renderApp({ data: { ...fx.fullData(), "daemon/heartbeat:status": [other, fx.heartbeat[0]] } });
    expect(frame()).toContain("Heartbeat · +1 daemon");
    expect(frame()).toContain("pid 4242");
  });

  test("no daemon yet", async () => {
    const { frame } = await renderApp({ data: { ...fx.fullData(), "daemon/heartbeat:status": [] } });
    expect(frame()).toContain("no daemon has beaten yet");
  });
});

describe("replay", () => {
  test("position/total, percentage, progress bar, speed and state", async () => {
    const { frame } = await renderApp();
    const f = frame();
    expect(f).toContain("120/250 traces · 48%");
    expect(f).toMatch(/█+░+/);
    expect(f).toContain("▶ PLAYING · 1000 ms/trace");
    expect(lineWith(f, "RUNNING")).toContain("RUNNING");
  });

  test("paused shows in the pane and as the footer mode", async () => {
    const { frame, client, settled } = await renderApp();
    client.push("daemon/replay:state", { ...fx.replay, paused: true, speedMs: 250 });
    await settled();
    expect(frame()).toContain("‖ PAUSED · 250 ms/trace");
    expect(frame()).toContain(" PAUSED ");
    expect(frame()).not.toContain(" RUNNING ");
  });
});

describe("buckets", () => {
  test("count against the threshold, ▲ at the threshold, ✓ and the total once compiled at the current sha", async () => {
    const withCompiled = {
      threshold: 30,
      buckets: [...fx.buckets.buckets, { _id: "b4", _creationTime: 0, key: "acme:extract_company:v1", count: 40, sinceCompile: 0, lastTraceAt: 0 }],
    };
    const noJobs = { "daemon/compiles:active": [], "daemon/compiles:list": [] };
    const { frame } = await renderApp({ data: { ...fx.fullData(), ...noJobs, "daemon/ingest:buckets": withCompiled, "daemon/vault:list": fx.vault.slice(0, 2) } });
    const f = frame();
    expect(f).toContain("Buckets · threshold 30");
    expect(f).toMatch(/│ ▲ acme:classify_lead.*31\/30 │/);
    expect(f).toMatch(/│ · acme:route_ticket:v1\s+14\/30 │/);
    expect(f).toMatch(/│ ✓ acme:extract_company:v1\s+40 │/);
    // draft_reply's entry is under an old sha, so it is not marked rejected.
    expect(f).toMatch(/│ · acme:draft_reply:v1\s+12\/30 │/);
  });

  test("each verdict has its glyph: ◐ partial, … waiting, ✗ rejected at the current sha", async () => {
    const noJobs = { "daemon/compiles:active": [], "daemon/compiles:list": [] };
    const extra = [
      { _id: "b4", _creationTime: 0, key: "acme:normalize_country:v1", count: 120, sinceCompile: 0, lastTraceAt: 0 },
    ];
    const rejectedNow = { ...fx.vault[1], sha: fx.SHA };
    const { frame } = await renderApp({
      data: { ...fx.fullData(), ...noJobs, "daemon/ingest:buckets": { threshold: 30, buckets: [...fx.buckets.buckets, ...extra] }, "daemon/vault:list": [...fx.vault.slice(2), rejectedNow] },
    });
    const f = frame();
    expect(f).toMatch(/│ ◐ acme:normalize_coun.*120 │/);
    expect(f).toMatch(/│ … acme:classify_lead.*64 │/);
    expect(f).toMatch(/│ ✗ acme:draft_reply:v1\s+12 │/);
  });

  test("a bucket with a queued or running compile says so", async () => {
    const { frame } = await renderApp();
    // route_ticket is running (active), classify_lead_tier is pending in the recent jobs.
    expect(frame()).toMatch(/│ ▶ acme:route_ticket:v1\s+14\/30 │/);
    expect(frame()).toMatch(/│ ◌ acme:classify_lead_t…\s+31\/30 │/);
  });

  test("wide terminals get a bar per bucket", async () => {
    const { frame } = await renderApp({ columns: 140, rows: 30 });
    expect(frame()).toMatch(/▶ acme:route_ticket:v1\s+14\/30 █+░+ │/);
  });
});

describe("pipeline", () => {
  test("current job, stage and stage-2 progress n/1000, queued count", async () => {
    const { frame } = await renderApp();
    const f = frame();
    expect(f).toContain("Pipeline · 1 queued");
    expect(f).toContain("▶ acme:route_ticket:v1");
    expect(f).toContain("stage stage2 412/1000");
  });

  test("other stages show a percentage; retries show the attempt", async () => {
    const job = { ...fx.runningJob, stage: "synthesize", progress: 0.5, attempts: 2 };
    const { frame } = await renderApp({ data: { ...fx.fullData(), "daemon/compiles:active": [job] }, columns: 140 });
    expect(frame()).toContain("stage synthesize 50% · attempt 2");
  });

  test("idle shows the last finished job and its error", async () => {
    const { frame } = await renderApp({
      data: { ...fx.fullData(), "daemon/compiles:active": [], "daemon/compiles:list": fx.recentJobs.slice(2) },
      columns: 140,
    });
    const f = frame();
    expect(f).toContain("idle");
    expect(f).toContain("last ! failed acme:extract_company:v1");
    expect(f).toContain("lease lost");
  });

  test("a finished job shows the verdict it reached, so a waiting compile does not read as done", async () => {
    const waitingJob = { ...fx.recentJobs[1], status: "done", finishedAt: Date.now() };
    const { frame } = await renderApp({
      data: { ...fx.fullData(), "daemon/compiles:active": [], "daemon/compiles:list": [waitingJob] },
      columns: 140,
    });
    expect(frame()).toContain("last … waiting acme:classify_lead_tier:v1");
  });
});

describe("vault", () => {
  test("a table of bucket, verdict, coverage, selective agreement and its lower bound, robustness, family, sha", async () => {
    const { frame } = await renderApp();
    const f = frame();
    expect(lineWith(f, "verdict")).toMatch(/bucket\s+verdict\s+cover\s+agree\s+lower\s+robust\s+family\s+sha/);
    expect(lineWith(f, "acme:extract_company:v1")).toMatch(/acme:extract_company:v1\s+✓ compiled\s+0\.98\s+0\.97\s+≥0\.89\s+1\.00\s+string_transform\s+a1b2c3\s/);
    expect(lineWith(f, "acme:normalize_country:v1")).toMatch(/acme:normalize_country:v1\s+◐ partial\s+0\.62\s+0\.97\s+≥0\.89\s+0\.99\s+lookup\s+a1b2c3\s/);
    expect(lineWith(f, "acme:classify_lead_tier:v1")).toMatch(/acme:classify_lead_tier:v1\s+… waiting\s+1\.00\s+1\.00\s+≥0\.72\s+1\.00\s+decision_tree\s+a1b2c3\s/);
    expect(f).toMatch(/acme:draft_reply:v1\s+✗ rejected\s+1\.00\s+0\.21\s+≥0\.10\s+1\.00\s+constant\s+000000\s/);
    // draft_reply was rejected under an older sha: history, not counted for the current code.
    expect(f).toContain("Vault · 1 compiled · 1 partial · 1 waiting · 1 older");
  });

  test("at 80 columns the lower bound gives way to the bucket names, and every row still fits", async () => {
    const { frame } = await renderApp({ columns: 80, rows: 30 });
    const f = frame();
    expect(lineWith(f, "verdict")).toMatch(/bucket\s+verdict\s+cover\s+agree\s+robust\s+family\s+sha/);
    expect(lineWith(f, "verdict")).not.toContain("lower");
    expect(lineWith(f, "acme:normalize_c")).toMatch(/◐ partial\s+0\.62\s+0\.97\s+0\.99\s+lookup/);
    for (const l of lines(f)) expect([...l].length).toBeLessThanOrEqual(80);
  });

  test("the columns fill the pane's inner width exactly, with or without the lower bound", () => {
    for (let w = 60; w <= 220; w++) {
      const c = vaultColumns(w);
      // verdict 10, cover 5, agree 5, robust 6, sha 12, one space after each column but the last
      const used = c.bucket + 1 + 10 + 1 + 5 + 1 + 5 + 1 + (c.lower ? 6 : 0) + 6 + 1 + c.family + 1 + 12;
      if (c.bucket > 8) expect(used, `width ${w}`).toBe(w);
      if (c.lower) expect(c.bucket).toBeGreaterThanOrEqual(24);
    }
    // A wide pane gives compositions ("composition(team: keyword_list, ...)") the room bucket keys do not need.
    expect(vaultColumns(136)).toMatchObject({ bucket: 34, family: 52, lower: true });
  });

  test("entries written before coverage and robustness were measured show dashes, not zeros", async () => {
    const old = { ...fx.vault[0], coverage: undefined, selective: undefined, scores: { schema: 1, det: 1, oracle: 0.967 } };
    const { frame } = await renderApp({ data: { ...fx.fullData(), "daemon/vault:list": [old] } });
    expect(lineWith(frame(), "acme:extract_company:v1")).toMatch(/✓ compiled\s+--\s+0\.97\s+≥0\.89\s+--\s+string_transform/);
  });

  test("an entry that answered no later call shows dashes for agreement and its bound, not 0.00", async () => {
    const none = { ...fx.vault[1], sha: fx.SHA, coverage: 0, family: "none", selective: { agreement: 0, lowerBound: 0, upperBound: 1 } };
    const { frame, press } = await renderApp({ data: { ...fx.fullData(), "daemon/vault:list": [none] } });
    expect(lineWith(frame(), "✗ rejected")).toMatch(/acme:draft_reply:v1\s+✗ rejected\s+0\.00\s+--\s+--\s+1\.00\s+none/);
    await press("\r");
    expect(frame()).toContain("agreement none measured: it answered no later call (the model answers every one)");
  });

  test("an empty vault says what will fill it", async () => {
    const { frame } = await renderApp({ data: { ...fx.fullData(), "daemon/vault:list": [] } });
    expect(frame()).toContain("no vault entries yet");
  });
});

describe("footer and connection", () => {
  test("before any data: waiting panes and CONNECTING", async () => {
    const { frame } = await renderApp({ data: {} });
    const f = frame();
    expect(f).toContain("CONNECTING");
    expect(f).toContain("waiting");
  });

  test("connection state, worker status and a subscription error", async () => {
    const client = new FakeClient(fx.fullData());
    client.connection = { kind: "convex", url: "https://x.convex.cloud", connected: false, retries: 3 };
    const { frame, settled } = await renderApp({ client, workerStatus: "running" });
    client.fail("daemon/vault:list", new Error("vault query failed"));
    await settled();
    const f = frame();
    expect(f).toContain("○ convex reconnecting (retry 3)");
    expect(f).toContain("worker running");
    expect(f).toContain("✗ vault query failed");
    // The last good data stays on screen.
    expect(f).toContain("acme:extract_company:v1");
  });

  test("key hints come from the action table and the UI keymap", async () => {
    const { frame } = await renderApp();
    const f = frame();
    expect(f).toContain("p pause  s start  b bump-sha  i inject  + faster  - slower  R reset");
    expect(f).toContain("tab focus  j/k select  enter open  / filter  ? help  q quit");
  });

  test("unmount unsubscribes every query", async () => {
    const app = await renderApp();
    expect(app.client.listenerCount("daemon/triggers:recent")).toBe(1);
    expect(app.client.subscriptions.size).toBe(11);
    app.unmount();
    for (const name of app.client.subscriptions.keys()) expect(app.client.listenerCount(name), name).toBe(0);
  });
});

describe("terminal size", () => {
  test("below 80x24 a single resize line, recovering on resize", async () => {
    const app = await renderApp();
    setSize(app.stdout, 79, 30);
    await app.settled();
    expect(app.frame().trim()).toBe("resize to at least 80x24 (now 79x30)");
    setSize(app.stdout, 100, 23);
    await app.settled();
    expect(app.frame().split("\n")).toHaveLength(1);
    expect(app.frame()).toContain("resize to at least 80x24");
    setSize(app.stdout, 100, 30);
    await app.settled();
    expect(app.frame()).toContain("Heartbeat");
    expect(app.frame()).not.toContain("resize to");
  });

  test("at exactly 80x24 every pane fits in 24 lines of 80 columns", async () => {
    const app = await renderApp({ columns: 80, rows: 24 });
    expect(app.frame()).toContain("compute local");
    expect(app.frame()).toContain("▶ PLAYING 1000ms/trace");
    const ls = app.frame().split("\n");
    expect(ls).toHaveLength(24);
    for (const l of ls) expect([...l].length).toBeLessThanOrEqual(80);
    for (const pane of ["Heartbeat", "Replay", "Pipeline", "Buckets", "Triggers", "Vault", "RUNNING", "q quit"]) {
      expect(app.frame(), pane).toContain(pane);
    }
  });

  test("at 100x30 the frame is exactly 30 lines", async () => {
    const app = await renderApp({ columns: 100, rows: 30 });
    expect(app.frame().split("\n")).toHaveLength(30);
  });
});

describe("names from the state are printed with control characters escaped", () => {
  const EVIL = "acme:\x1b]0;pwned\x07\x1b[2J:v1";
  const SHOWN = "acme:\\x1b]0;pwned\\x07\\x1b[2J:v1";

  test("buckets, triggers, pipeline, vault and footer never pass an escape sequence to the terminal", async () => {
    const data = fx.fullData();
    data["daemon/ingest:buckets"] = { threshold: 30, buckets: [{ ...fx.buckets.buckets[0], key: EVIL }] };
    data["daemon/triggers:recent"] = [{ ...fx.triggers[0], bucket: EVIL, detail: "line\nbreak \u202eevil" }];
    data["daemon/triggers:notable"] = data["daemon/triggers:recent"];
    data["daemon/compiles:active"] = [];
    data["daemon/compiles:list"] = [{ ...fx.recentJobs[2], bucket: EVIL, error: "boom\x1b[31m red" }];
    data["daemon/vault:list"] = [{ ...fx.vault[0], bucket: EVIL, family: "fam\x9b1m", sha: `${fx.SHA}` }];
    data["daemon/heartbeat:status"] = [{ ...fx.heartbeat[0], status: "running", compute: "local\x1b[5m" }];
    const { frame } = await renderApp({ data, columns: 160, rows: 40 });
    const f = frame();
    expect(f).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e]/);
    expect(f).toContain("acme:\\x1b]0;pwned\\x07");
    expect(f).toContain("line\\nbreak \\u202eevil");
    expect(f).toContain("boom\\x1b[31m red");
    expect(f).toContain("fam\\x9b1m");
    expect(f).toContain("local\\x1b[5m");
    void SHOWN;
  });

  test("the vault detail view escapes the entry's name, reasons and code", async () => {
    const data = fx.fullData();
    data["daemon/vault:list"] = [{ ...fx.vault[1], bucket: EVIL, reasons: ["bad\x1b[Hreason"], code: "export default function compiled(input) {\n\treturn '\x1b[2J';\n}" }];
    const { frame, press } = await renderApp({ data, columns: 120, rows: 40 });
    await press("\r");
    const f = frame();
    expect(f).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
    expect(f).toContain("bad\\x1b[Hreason");
    expect(f).toContain("  return '\\x1b[2J';");
  });
});

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { Command } from "commander";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { api } from "../../convex/_generated/api.js";
import { openBackend } from "../../src/backend/open.js";
import type { BackendClient } from "../../src/backend/client.js";
import { registerCtl } from "../../src/commands/ctl.js";
import { askYesNo, isYes } from "../../src/commands/confirm.js";
import { Cancelled, UsageError } from "../../src/commands/errors.js";
import { writeVaultEntry } from "../helpers/vaultEntry.js";

/**
 * `ctl reset` in this process: confirmation (a terminal asks, default No; elsewhere --yes is needed),
 * and a reset that runs to its end without a daemon. The spawned-process versions (a real terminal
 * through `script`, a running daemon, 100k traces) are in test/e2e/ctl-reset.test.ts.
 */

const A = "acme:classify_lead_tier:v1";
const B = "acme:route_ticket:v1";

let dir: string;
let db: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "ctl-cmd-"));
  db = path.join(dir, "state.db");
});

afterEach(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

async function withBackend<T>(fn: (c: BackendClient) => Promise<T>): Promise<T> {
  const client = await openBackend({ dbPath: db, convexUrl: "", runCrons: false, runScheduler: false });
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}

function trace(bucket: string, i: number) {
  return { bucket, input: { company: `c${i}`, employees: i }, output: { tier: "A" }, model: "m", latencyMs: 10, tokensIn: 5, tokensOut: 1, ts: 1_700_000_000_000 + i };
}

/** n traces over buckets A and B, plus one vault entry (whose family is `family`). */
async function fill(n: number, family = "constant"): Promise<void> {
  await withBackend(async (c) => {
    for (let i = 0; i < n; i += 1000) {
      const traces = Array.from({ length: Math.min(1000, n - i) }, (_, j) => trace((i + j) % 2 ? A : B, i + j));
      await c.mutation(api.daemon.ingest.ingestBatch, { traces });
    }
    await writeVaultEntry(c, A, "initial", {
      verdict: "rejected",
      scores: { schema: 1, det: 1, oracle: 0.2, robustness: 1 },
      coverage: 1,
      selective: { agreement: 0.2, lowerBound: 0.1, upperBound: 0.4 },
      oracleLowerBound: 0.1,
      baseline: 0.2,
      family,
      code: "export default function compiled(input) {\n  return undefined;\n}",
      nTraces: 30,
      nTrain: 30,
      nHoldout: 20,
      reasons: ["a reason"],
    });
  });
}

async function counts(): Promise<{ traces: number; buckets: number; vault: number; jobs: number; position: number }> {
  return withBackend(async (c) => {
    const [a, b, buckets, vault, jobs, replay] = await Promise.all([
      c.query(api.daemon.ingest.traces, { bucket: A, limit: 5000 }),
      c.query(api.daemon.ingest.traces, { bucket: B, limit: 5000 }),
      c.query(api.daemon.ingest.buckets, {}),
      c.query(api.daemon.vault.list, {}),
      c.query(api.daemon.compiles.list, { limit: 50 }),
      c.query(api.daemon.replay.state, {}),
    ]);
    return { traces: a.length + b.length, buckets: buckets.buckets.length, vault: vault.length, jobs: jobs.length, position: replay.position };
  });
}

/** Runs `compile-daemon ctl ...` in this process; stdin/stdout are terminals when `tty` is given. */
async function ctl(args: string[], tty?: { answer: string }): Promise<{ stdout: string; stderr: string; asked: string }> {
  const out = { stdout: "", stderr: "", asked: "" };
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => ((out.stdout += String(chunk)), true));
  vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => ((out.stderr += String(chunk)), true));
  const stdin = new PassThrough() as unknown as NodeJS.ReadStream & PassThrough;
  stdin.isTTY = Boolean(tty);
  vi.spyOn(process, "stdin", "get").mockReturnValue(stdin as unknown as typeof process.stdin);
  const wasTty = process.stdout.isTTY;
  process.stdout.isTTY = Boolean(tty);
  if (tty) setTimeout(() => stdin.write(`${tty.answer}\n`), 20);
  const program = new Command().option("--db <path>").option("--agent <dir>").option("--json").exitOverride();
  registerCtl(program);
  try {
    await program.parseAsync(["ctl", ...args, "--db", db], { from: "user" });
  } finally {
    process.stdout.isTTY = wasTty;
    out.asked = out.stderr.split("\n").find((l) => l.includes("[y/N]")) ?? "";
  }
  return out;
}

describe("ctl reset asks first", () => {
  it("without a terminal and without --yes it refuses with exit-2 usage error and changes nothing", async () => {
    await fill(50);
    const before = await counts();
    for (const args of [["reset"], ["reset", "--all"]]) {
      const err = await ctl(args).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UsageError);
      const msg = (err as Error).message;
      expect(msg).toMatch(/not at a terminal, so pass --yes to confirm/);
      expect(msg).not.toContain("\n");
      if (args.includes("--all")) expect(msg).toContain("the vault");
    }
    expect(await counts()).toEqual(before);
  });

  it("at a terminal, No is the default: an empty answer, n or anything else changes nothing (Cancelled: exit 1)", async () => {
    await fill(50);
    const before = await counts();
    for (const answer of ["", "n", "no", "yess", "sure"]) {
      const err = await ctl(["reset"], { answer }).catch((e: unknown) => e);
      expect(err, JSON.stringify(answer)).toBeInstanceOf(Cancelled);
    }
    expect(await counts()).toEqual(before);
  });

  it("at a terminal, y or yes proceeds; the question says what it deletes and what it keeps", async () => {
    await fill(50);
    const r = await ctl(["reset"], { answer: "y" });
    expect(r.asked).toMatch(/Reset the replay and clear traces, buckets, jobs and triggers\? \(state file .*: 50 traces in 2 buckets, 1 vault entry kept\) \[y\/N\]/);
    expect(r.stdout).toMatch(/^reset \(vault kept\): \d+ rows deleted\n$/);
    expect(await counts()).toMatchObject({ traces: 0, buckets: 0, vault: 1, jobs: 0, position: 0 });

    await fill(10);
    const all = await ctl(["reset", "--all"], { answer: " YES " });
    expect(all.asked).toMatch(/and the VAULT .* 1 vault entry deleted\) \[y\/N\]/);
    expect(await counts()).toMatchObject({ traces: 0, vault: 0 });
  });
});

describe("ctl reset finishes the whole reset without a daemon", () => {
  it("20,000 traces (five transactions' worth): all gone, progress on stderr, the answer on stdout", async () => {
    await fill(20_000);
    const r = await ctl(["reset", "--yes"]);
    expect(await counts()).toMatchObject({ traces: 0, buckets: 0, jobs: 0, vault: 1, position: 0 });
    expect(r.stderr).toMatch(/^reset: 4,000 of about 2\d,\d{3} rows deleted\n/);
    expect(r.stderr.trim().split("\n").at(-1)).toMatch(/^reset: 2\d,\d{3} rows deleted$/);
    expect(r.stdout).toMatch(/^reset \(vault kept\): 2\d,\d{3} rows deleted\n$/);
  });

  it("--all --yes --json clears the vault too and prints one JSON line", async () => {
    await fill(100);
    const r = await ctl(["reset", "--all", "--yes", "--json"]);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, action: "reset", all: true });
    expect(await counts()).toMatchObject({ traces: 0, vault: 0 });
  });
});

describe("the confirmation prompt", () => {
  it("only y and yes (any case, spaces around) say yes", () => {
    for (const a of ["y", "Y", "yes", "YES", " yes "]) expect(isYes(a), a).toBe(true);
    for (const a of ["", "n", "no", "ye", "yess", "y y", "ja"]) expect(isYes(a), a).toBe(false);
  });

  it("EOF answers No", async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    const answer = askYesNo("Sure?", { input, output });
    input.end();
    expect(await answer).toBe(false);
  });
});

describe("ctl status prints names from the state with control characters escaped", () => {
  it("a family holding terminal escapes (a state file edited by hand) is printed escaped; --json stays exact", async () => {
    await fill(40, "tree\x1b]0;pwned\x07\x1b[2J");
    const r = await ctl(["status"]);
    expect(r.stdout).toContain("tree\\x1b]0;pwned\\x07\\x1b[2J");
    expect(r.stdout).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
    const json = await ctl(["status", "--json"]);
    expect(JSON.parse(json.stdout).vault[0].family).toBe("tree\x1b]0;pwned\x07\x1b[2J");
  });
});

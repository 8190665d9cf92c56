import type { Command } from "commander";
import { api } from "../../convex/_generated/api.js";
import {
  CONTROL_ACTIONS,
  INJECT_MAX,
  RESET_ALL_CONFIRM,
  resetProgressText,
  SPEED_MAX_MS,
  SPEED_MIN_MS,
  type ActionContext,
  type ControlAction,
  type ResetProgress,
} from "../backend/actions.js";
import type { BackendClient } from "../backend/client.js";
import { printable } from "../backend/printable.js";
import { shortSha } from "../backend/sha.js";
import { globals, printJson, printTable, withClient } from "./common.js";
import { askYesNo, isInteractive } from "./confirm.js";
import { Cancelled, UsageError } from "./errors.js";
import { figureColumns, fixed } from "./vaultFigures.js";

const BUCKET_KEY = /^[a-z0-9][a-z0-9_-]*:[a-z0-9_]+:v\d+$/;

/** `ctl` subcommands are generated from the same action table as the console's keys. */
export function registerCtl(program: Command): void {
  const ctl = program
    .command("ctl")
    .description("inspect and drive a running daemon (works with or without one running)")
    .addHelpText(
      "after",
      "\nExamples:\n  compile-daemon ctl status\n  compile-daemon ctl speed 50\n  compile-daemon ctl inject acme:classify_lead_tier:v1 5 --json\n  compile-daemon ctl reset --all --yes",
    );

  ctl
    .command("status")
    .description("a snapshot: replay, buckets, jobs, vault, daemons")
    .addHelpText("after", "\nExamples:\n  compile-daemon ctl status --db /tmp/x.db\n  compile-daemon ctl status --json | jq .replay")
    .action(async (_opts: unknown, cmd: Command) => {
      const g = globals(cmd);
      const status = await withClient(cmd, (client) => readStatus(client));
      if (g.json) printJson(status);
      else printStatus(status);
    });

  for (const action of CONTROL_ACTIONS) {
    if (!action.ctl) continue;
    const sub = ctl.command(action.ctl.usage).description(action.help);
    if (action.id === "reset") {
      sub
        .option("--all", "also clear the vault (every compiled function)")
        .option("-y, --yes", "do not ask for confirmation (required when stdin or stdout is not a terminal)")
        .addHelpText(
          "after",
          "\nAt a terminal it asks first (default No); elsewhere it needs --yes. It runs to the end in bounded\n" +
            "transactions, with or without a daemon running, and reports progress on stderr.\n" +
            "\nExamples:\n  compile-daemon ctl reset\n  compile-daemon ctl reset --all --yes --db /tmp/x.db",
        );
    }
    if (action.id === "inject") sub.addHelpText("after", "\nExample:\n  compile-daemon ctl inject acme:classify_lead_tier:v1 5");
    if (action.id === "speed") sub.addHelpText("after", "\nExample:\n  compile-daemon ctl speed 50");
    sub.action(async (...params: unknown[]) => {
      const cmd = params[params.length - 1] as Command;
      const opts = params[params.length - 2] as { all?: boolean; yes?: boolean };
      const positional = params.slice(0, action.ctl!.args.length) as string[];
      const ctx = parseActionArgs(action, positional);
      if (action.id === "reset") ctx.all = Boolean(opts.all);
      const g = globals(cmd);
      // Refused before the state file is opened: a script without --yes changes nothing.
      const question = confirmQuestion(action, ctx);
      if (question && !opts.yes && !isInteractive()) {
        throw new UsageError(`ctl ${action.id}${ctx.all ? " --all" : ""} deletes ${ctx.all ? "the vault, " : ""}traces, buckets, jobs and triggers; not at a terminal, so pass --yes to confirm`);
      }
      const progress = action.id === "reset" ? progressWriter(process.stderr) : undefined;
      let message: string;
      try {
        message = await withClient(
          cmd,
          async (client) => {
            if (question && !opts.yes) {
              const ok = await askYesNo(`${question} (${await describeTarget(client, g.db, ctx.all ?? false)})`);
              if (!ok) throw new Cancelled(`${action.id} cancelled: nothing was changed`);
            }
            return action.run(client, { ...ctx, onProgress: progress?.update });
          },
          { write: true },
        );
      } finally {
        progress?.end();
      }
      if (g.json) printJson({ ok: true, action: action.id, message, ...ctx });
      else process.stdout.write(`${message}\n`);
    });
  }
}

/** The question an action asks before it runs, or undefined (only reset asks). */
function confirmQuestion(action: ControlAction, ctx: ActionContext): string | undefined {
  if (!action.confirm) return undefined;
  return action.id === "reset" && ctx.all ? RESET_ALL_CONFIRM : action.confirm;
}

/** "state file .compile/state.db: 1,250 traces in 4 buckets, 4 vault entries kept": what a yes deletes. */
async function describeTarget(client: BackendClient, db: string, all: boolean): Promise<string> {
  const [buckets, vault] = await Promise.all([client.query(api.daemon.ingest.buckets, {}), client.query(api.daemon.vault.list, {})]);
  const traces = buckets.buckets.reduce((n, b) => n + b.count, 0);
  const where = client.backendName === "embedded" ? `state file ${printable(db)}` : "the Convex deployment";
  const n = (x: number) => x.toLocaleString("en-US");
  return `${where}: ${n(traces)} trace${traces === 1 ? "" : "s"} in ${n(buckets.buckets.length)} bucket${buckets.buckets.length === 1 ? "" : "s"}, ${n(vault.length)} vault entr${vault.length === 1 ? "y" : "ies"} ${all ? "deleted" : "kept"}`;
}

/**
 * Reset progress on stderr: one line rewritten in place at a terminal, otherwise a line at most
 * every 2 s (and the last one), so a log file gets a few lines, not one per batch.
 */
function progressWriter(err: NodeJS.WriteStream): { update: (p: ResetProgress) => void; end: () => void } {
  const tty = err.isTTY === true;
  let lastAt = 0;
  let pending: string | undefined;
  let wroteInPlace = false;
  return {
    update(p) {
      const line = `reset: ${resetProgressText(p)}`;
      if (tty) {
        err.write(`\r${line}\x1b[K`);
        wroteInPlace = true;
        return;
      }
      const now = Date.now();
      if (now - lastAt >= 2000 || p.done) {
        err.write(`${line}\n`);
        lastAt = now;
        pending = undefined;
      } else pending = line;
    },
    end() {
      if (wroteInPlace) err.write("\n");
      else if (pending) err.write(`${pending}\n`);
    },
  };
}

/** Checks ctl arguments before anything is opened, so bad input changes nothing. */
export function parseActionArgs(action: ControlAction, args: string[]): ActionContext {
  if (action.id === "speed") {
    const ms = /^\d+$/.test(args[0] ?? "") ? Number(args[0]) : NaN;
    if (!Number.isInteger(ms) || ms < SPEED_MIN_MS || ms > SPEED_MAX_MS) {
      throw new UsageError(`speed must be an integer number of ms between ${SPEED_MIN_MS} and ${SPEED_MAX_MS}, got "${args[0]}"`);
    }
    return { speedMs: ms };
  }
  if (action.id === "inject") {
    const [bucket, nText] = args;
    if (!BUCKET_KEY.test(bucket)) throw new UsageError(`bucket must look like acme:classify_lead_tier:v1, got "${bucket}"`);
    const n = /^\d+$/.test(nText ?? "") ? Number(nText) : NaN;
    if (!Number.isInteger(n) || n < 1 || n > INJECT_MAX) throw new UsageError(`n must be an integer between 1 and ${INJECT_MAX}, got "${nText}"`);
    return { bucket, n };
  }
  return {};
}

export async function readStatus(client: BackendClient) {
  const [replay, buckets, active, jobs, vault, beats, code] = await Promise.all([
    client.query(api.daemon.replay.state, {}),
    client.query(api.daemon.ingest.buckets, {}),
    client.query(api.daemon.compiles.active, {}),
    client.query(api.daemon.compiles.list, { limit: 50 }),
    client.query(api.daemon.vault.list, {}),
    client.query(api.daemon.heartbeat.status, {}),
    client.query(api.daemon.control.codeState, {}),
  ]);
  const now = Date.now();
  return {
    backend: client.backendName,
    replay,
    threshold: buckets.threshold,
    buckets: buckets.buckets.map((b) => ({ key: b.key, count: b.count, sinceCompile: b.sinceCompile })),
    jobs: {
      active: active.map((j) => ({ id: j._id, bucket: j.bucket, stage: j.stage, progress: j.progress, attempts: j.attempts })),
      counts: countBy(jobs.map((j) => j.status)),
      recent: jobs.map((j) => ({ id: j._id, bucket: j.bucket, sha: j.sha, reason: j.reason, status: j.status, attempts: j.attempts, error: j.error })),
    },
    vault: vault.map((v) => ({
      bucket: v.bucket,
      verdict: v.verdict,
      coverage: v.coverage,
      selective: v.selective,
      scores: v.scores,
      oracleLowerBound: v.oracleLowerBound,
      family: v.family,
      sha: v.sha,
    })),
    daemons: beats.map((b) => ({
      daemonId: b.daemonId,
      status: b.status,
      pid: b.pid,
      lastBeatAgoMs: now - b.lastBeatAt,
      // A beat older than 3 intervals means the process is gone, whatever its last status said.
      alive: b.status !== "stopped" && now - b.lastBeatAt < 6_000,
      backend: b.backend,
      compute: b.compute,
      currentJob: b.currentJob,
    })),
    code,
  };
}

function countBy(values: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

function printStatus(s: Awaited<ReturnType<typeof readStatus>>): void {
  const out = process.stdout;
  const r = s.replay;
  out.write(`backend ${s.backend}   replay ${r.position}/${r.total}   speed ${r.speedMs} ms   ${r.paused ? "PAUSED" : "RUNNING"}   code ${printable(shortSha(s.code?.sha))}\n\n`);
  out.write(`buckets (threshold ${s.threshold})\n`);
  printTable(s.buckets.map((b) => ({ bucket: b.key, traces: b.count, sinceCompile: b.sinceCompile })));
  out.write(`\njobs  ${Object.entries(s.jobs.counts).map(([k, v]) => `${k} ${v}`).join("  ") || "none"}\n`);
  if (s.jobs.active.length) printTable(s.jobs.active.map((j) => ({ bucket: j.bucket, stage: j.stage ?? "", progress: j.progress === undefined ? "" : `${Math.round(j.progress * 100)}%`, attempts: j.attempts })));
  out.write(`\nvault\n`);
  printTable(s.vault.map((v) => ({ bucket: v.bucket, ...figureColumns(v), schema: fixed(v.scores.schema), det: fixed(v.scores.det), family: v.family, sha: shortSha(v.sha) })));
  out.write(`\ndaemons\n`);
  printTable(s.daemons.map((d) => ({ daemon: d.daemonId, status: d.alive || d.status === "stopped" ? d.status : `${d.status} (no beat for ${(d.lastBeatAgoMs / 1000).toFixed(0)}s: gone?)`, pid: d.pid, lastBeat: `${(d.lastBeatAgoMs / 1000).toFixed(1)}s ago`, compute: d.compute, job: d.currentJob ?? "" })));
}

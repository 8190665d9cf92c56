import type { Command } from "commander";
import { api } from "../../convex/_generated/api.js";
import { CONTROL_ACTIONS, INJECT_MAX, SPEED_MAX_MS, SPEED_MIN_MS, type ActionContext, type ControlAction } from "../backend/actions.js";
import type { BackendClient } from "../backend/client.js";
import { shortSha } from "../backend/sha.js";
import { globals, printJson, printTable, withClient } from "./common.js";
import { UsageError } from "./errors.js";
import { figureColumns, fixed } from "./vaultFigures.js";

const BUCKET_KEY = /^[a-z0-9][a-z0-9_-]*:[a-z0-9_]+:v\d+$/;

/** `ctl` subcommands are generated from the same action table as the console's keys. */
export function registerCtl(program: Command): void {
  const ctl = program
    .command("ctl")
    .description("inspect and drive a running daemon (works with or without one running)")
    .addHelpText(
      "after",
      "\nExamples:\n  compile-daemon ctl status\n  compile-daemon ctl speed 50\n  compile-daemon ctl inject acme:classify_lead_tier:v1 5 --json\n  compile-daemon ctl reset --all",
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
    if (action.id === "reset") sub.option("--all", "also clear the vault");
    if (action.id === "inject") sub.addHelpText("after", "\nExample:\n  compile-daemon ctl inject acme:classify_lead_tier:v1 5");
    if (action.id === "speed") sub.addHelpText("after", "\nExample:\n  compile-daemon ctl speed 50");
    sub.action(async (...params: unknown[]) => {
      const cmd = params[params.length - 1] as Command;
      const opts = params[params.length - 2] as { all?: boolean };
      const positional = params.slice(0, action.ctl!.args.length) as string[];
      const ctx = parseActionArgs(action, positional);
      if (action.id === "reset") ctx.all = Boolean(opts.all);
      const g = globals(cmd);
      const message = await withClient(cmd, (client) => action.run(client, ctx));
      if (g.json) printJson({ ok: true, action: action.id, message, ...ctx });
      else process.stdout.write(`${message}\n`);
    });
  }
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
  out.write(`backend ${s.backend}   replay ${r.position}/${r.total}   speed ${r.speedMs} ms   ${r.paused ? "PAUSED" : "RUNNING"}   code ${shortSha(s.code?.sha)}\n\n`);
  out.write(`buckets (threshold ${s.threshold})\n`);
  printTable(s.buckets.map((b) => ({ bucket: b.key, traces: b.count, sinceCompile: b.sinceCompile })));
  out.write(`\njobs  ${Object.entries(s.jobs.counts).map(([k, v]) => `${k} ${v}`).join("  ") || "none"}\n`);
  if (s.jobs.active.length) printTable(s.jobs.active.map((j) => ({ bucket: j.bucket, stage: j.stage ?? "", progress: j.progress === undefined ? "" : `${Math.round(j.progress * 100)}%`, attempts: j.attempts })));
  out.write(`\nvault\n`);
  printTable(s.vault.map((v) => ({ bucket: v.bucket, ...figureColumns(v), schema: fixed(v.scores.schema), det: fixed(v.scores.det), family: v.family, sha: shortSha(v.sha) })));
  out.write(`\ndaemons\n`);
  printTable(s.daemons.map((d) => ({ daemon: d.daemonId, status: d.alive || d.status === "stopped" ? d.status : `${d.status} (no beat for ${(d.lastBeatAgoMs / 1000).toFixed(0)}s: gone?)`, pid: d.pid, lastBeat: `${(d.lastBeatAgoMs / 1000).toFixed(1)}s ago`, compute: d.compute, job: d.currentJob ?? "" })));
}

import type { Command } from "commander";
import { api } from "../contract/api.js";
import { ActionArgError, CONTROL_ACTIONS, ctlUsage, parseActionArgs, resetProgressText, type ActionContext, type ResetProgress } from "../contract/actions.js";
import type { BackendClient } from "../backend/client.js";
import { printable } from "../backend/printable.js";
import { shortSha } from "../backend/sha.js";
import { globals, printJson, printTable, withClient } from "./common.js";
import { askYesNo, isInteractive } from "./confirm.js";
import { Cancelled, UsageError } from "./errors.js";
import { figureColumns, fixed } from "./vaultFigures.js";
import { readSavings } from "./savings.js";
import { formatSavingsTable } from "./savingsTable.js";

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
    const spec = action.ctl;
    if (!spec) continue;
    const sub = ctl.command(ctlUsage(action)).description(action.help);
    for (const option of spec.options ?? []) sub.option(option.flags, option.help);
    if (action.confirm) sub.option("-y, --yes", "do not ask for confirmation (required when stdin or stdout is not a terminal)");
    sub.addHelpText("after", `${spec.notes ? `\n${spec.notes}\n` : ""}\nExample${spec.examples.length > 1 ? "s" : ""}:\n${spec.examples.map((e) => `  ${e}`).join("\n")}`);
    sub.action(async (...params: unknown[]) => {
      const cmd = params[params.length - 1] as Command;
      const opts = params[params.length - 2] as Record<string, unknown>;
      const positional = params.slice(0, spec.args.length) as string[];
      let ctx: ActionContext;
      try {
        ctx = parseActionArgs(action, positional);
      } catch (e) {
        throw e instanceof ActionArgError ? new UsageError(e.message) : e;
      }
      for (const option of spec.options ?? []) ctx[option.field] = Boolean(opts[option.field]);
      const g = globals(cmd);
      const yes = Boolean(opts.yes);
      // Refused before the state file is opened: a script without --yes changes nothing.
      if (action.confirm && !yes && !isInteractive()) {
        const flags = (spec.options ?? []).filter((o) => ctx[o.field]).map((o) => ` ${o.flags}`).join("");
        throw new UsageError(`ctl ${action.id}${flags} deletes ${action.confirm.deletes(ctx)}; not at a terminal, so pass --yes to confirm`);
      }
      const progress = action.reportsProgress ? progressWriter(process.stderr) : undefined;
      let message: string;
      try {
        message = await withClient(
          cmd,
          async (client) => {
            if (action.confirm && !yes) {
              const ok = await askYesNo(`${action.confirm.question(ctx)} (${await describeTarget(client, g.db, ctx.all ?? false)})`);
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

export async function readStatus(client: BackendClient) {
  const [replay, buckets, active, jobs, vault, beats, code, savings] = await Promise.all([
    client.query(api.daemon.replay.state, {}),
    client.query(api.daemon.ingest.buckets, {}),
    client.query(api.daemon.compiles.active, {}),
    client.query(api.daemon.compiles.list, { limit: 50 }),
    client.query(api.daemon.vault.list, {}),
    client.query(api.daemon.heartbeat.status, {}),
    client.query(api.daemon.control.codeState, {}),
    // Default prices and compute price (`compile-daemon savings` takes --price/--compute-price).
    // A deployment without the runtime's usage query still gets its status, with the reason.
    readSavings(client).then(
      (r) => ({ report: r.report, error: undefined }),
      (e: unknown) => ({ report: null, error: e instanceof Error ? e.message.split("\n")[0] : String(e) }),
    ),
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
    savings: savings.report,
    ...(savings.error === undefined ? {} : { savingsError: savings.error }),
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
  out.write(`\nsavings (default prices; compile-daemon savings --help for --price and how compile cost is estimated)\n`);
  if (s.savings) out.write(formatSavingsTable(s.savings));
  else out.write(`unavailable: ${printable(s.savingsError ?? "?")}\n`);
}

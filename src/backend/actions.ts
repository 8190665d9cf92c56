import { api } from "../../convex/_generated/api.js";
import type { BackendClient } from "./client.js";
import { shortSha } from "./sha.js";

/**
 * The one table of control actions. `ctl` builds its subcommands from it and the console builds
 * its keymap, footer hints and help overlay from it, so the two can never drift.
 */
export interface ActionContext {
  bucket?: string;
  n?: number;
  speedMs?: number;
  all?: boolean;
  /** Reset reports each bounded batch here (ctl writes it to stderr, the console to its command line). */
  onProgress?: (progress: ResetProgress) => void;
}

/** How far a reset has got: rows deleted so far, about how many it will delete in all. */
export interface ResetProgress {
  deleted: number;
  estimate: number;
  done: boolean;
}

export interface NumberPrompt {
  label: string;
  min: number;
  max: number;
  default: number;
}

export interface ControlAction {
  id: "pause" | "start" | "bump-sha" | "inject" | "speed" | "speed-up" | "speed-down" | "reset";
  /** Console key; absent for actions only `ctl` offers. */
  key?: string;
  label: string;
  help: string;
  /** `ctl` subcommand usage (absent: console only). */
  ctl?: { usage: string; args: readonly string[] };
  /** A yes/no question asked first; the answer defaults to No. */
  confirm?: string;
  /** The console asks for a number before running (inject asks how many). */
  promptNumber?: NumberPrompt;
  /** Needs the bucket selected in the console (inject). */
  needsBucket?: boolean;
  run(client: BackendClient, ctx: ActionContext): Promise<string>;
}

export const SPEED_MIN_MS = 1;
export const SPEED_MAX_MS = 60_000;
export const INJECT_MAX = 1000;

/**
 * One mutation computes the new pause from the stored one, so two quick presses compose
 * (1000 -> 500 -> 250) rather than both reading 1000 and writing 500.
 */
async function nudgeSpeed(client: BackendClient, direction: "faster" | "slower"): Promise<string> {
  const result = await client.mutation(api.daemon.control.nudgeSpeed, { direction });
  // A stand-in client in tests may answer nothing.
  return result ? `speed ${result.speedMs} ms per trace` : `speed: ${direction}`;
}

export const CONTROL_ACTIONS: readonly ControlAction[] = [
  {
    id: "pause",
    key: "p",
    label: "pause",
    help: "pause the replay and stop claiming compile jobs",
    ctl: { usage: "pause", args: [] },
    async run(client) {
      await client.mutation(api.daemon.control.pause, {});
      return "paused";
    },
  },
  {
    id: "start",
    key: "s",
    label: "start",
    help: "resume the replay and job claiming",
    ctl: { usage: "start", args: [] },
    async run(client) {
      await client.mutation(api.daemon.control.start, {});
      return "running";
    },
  },
  {
    id: "bump-sha",
    key: "b",
    label: "bump-sha",
    help: "pretend the agent's code changed: CODE_CHANGE re-enqueues compiled buckets",
    ctl: { usage: "bump-sha", args: [] },
    async run(client) {
      const result = await client.mutation(api.daemon.control.bumpSha, {});
      return `code sha bumped${describeSha(result)}`;
    },
  },
  {
    id: "inject",
    key: "i",
    label: "inject",
    help: "inject N more traces into a bucket (in the console: the selected one)",
    ctl: { usage: "inject <bucket> <n>", args: ["bucket", "n"] },
    needsBucket: true,
    promptNumber: { label: "how many traces", min: 1, max: INJECT_MAX, default: 10 },
    async run(client, ctx) {
      if (!ctx.bucket) throw new Error("inject needs a bucket");
      const n = ctx.n ?? 10;
      await client.mutation(api.daemon.control.inject, { bucket: ctx.bucket, n });
      return `injected ${n} into ${ctx.bucket}`;
    },
  },
  {
    id: "speed",
    label: "speed",
    help: `set the pause between two replayed traces (${SPEED_MIN_MS}..${SPEED_MAX_MS} ms)`,
    ctl: { usage: "speed <ms>", args: ["ms"] },
    async run(client, ctx) {
      if (ctx.speedMs === undefined) throw new Error("speed needs a value in ms");
      await client.mutation(api.daemon.control.speed, { speedMs: ctx.speedMs });
      return `speed ${ctx.speedMs} ms per trace`;
    },
  },
  {
    id: "speed-up",
    key: "+",
    label: "faster",
    help: "halve the pause between replayed traces",
    async run(client) {
      return nudgeSpeed(client, "faster");
    },
  },
  {
    id: "speed-down",
    key: "-",
    label: "slower",
    help: "double the pause between replayed traces",
    async run(client) {
      return nudgeSpeed(client, "slower");
    },
  },
  {
    id: "reset",
    key: "R",
    label: "reset",
    help: "rewind the replay; clear traces, buckets, jobs and triggers (the vault is kept)",
    ctl: { usage: "reset", args: [] }, // --all and --yes are options (ctl.ts)
    confirm: "Reset the replay and clear traces, buckets, jobs and triggers?",
    async run(client, ctx) {
      const { deleted } = await runReset(client, ctx.all ?? false, ctx.onProgress);
      return `${ctx.all ? "reset everything, vault included" : "reset (vault kept)"}: ${count(deleted)} row${deleted === 1 ? "" : "s"} deleted`;
    },
  },
];

/** What `ctl reset --all` asks (the table's `confirm` is the plain reset's question). */
export const RESET_ALL_CONFIRM = "Reset the replay and clear traces, buckets, jobs, triggers and the VAULT (every compiled function)?";

/**
 * The whole reset, to its end, whether or not a daemon runs: the reset mutation rewinds and deletes
 * a first bounded batch, then one resetBatch per further batch until none is left. (A daemon's
 * scheduler would also finish it, later, should this caller die half way.)
 */
export async function runReset(client: BackendClient, all: boolean, onProgress?: (p: ResetProgress) => void): Promise<{ deleted: number }> {
  const first = await client.mutation(api.daemon.control.reset, { all });
  // A stand-in client in tests may answer nothing: then there is nothing more to do.
  if (!first) return { deleted: 0 };
  let { deleted, done } = first;
  const estimate = first.estimate;
  onProgress?.({ deleted, estimate: Math.max(estimate, deleted), done });
  while (!done) {
    const next = await client.mutation(api.daemon.control.resetBatch, { cutoffs: first.cutoffs });
    deleted += next.deleted;
    done = next.done;
    onProgress?.({ deleted, estimate: Math.max(estimate, deleted), done });
  }
  return { deleted };
}

/** "12,000 of about 100,250 rows deleted". */
export function resetProgressText(p: ResetProgress): string {
  return p.done || p.deleted >= p.estimate ? `${count(p.deleted)} rows deleted` : `${count(p.deleted)} of about ${count(p.estimate)} rows deleted`;
}

function count(n: number): string {
  return n.toLocaleString("en-US");
}

function describeSha(result: unknown): string {
  if (result && typeof result === "object" && "sha" in result && typeof result.sha === "string") {
    return ` to ${shortSha(result.sha)}`;
  }
  return "";
}

export function actionById(id: ControlAction["id"]): ControlAction {
  const action = CONTROL_ACTIONS.find((a) => a.id === id);
  if (!action) throw new Error(`unknown action ${id}`);
  return action;
}

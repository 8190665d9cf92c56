import type { FunctionArgs, FunctionReference, FunctionReturnType } from "convex/server";
import { api } from "../../convex/_generated/api.js";
import { BUCKET_KEY_RE } from "../../convex/lib/traceRules.js";
import { MAX_INJECT } from "../../convex/lib/validate.js";
import { MAX_SPEED_MS, MIN_SPEED_MS } from "../../convex/lib/pacing.js";

/**
 * The one table of control actions. `ctl` builds its subcommands (usage, arguments, options,
 * confirmation, examples) from it and the console builds its keymap, footer hints and help overlay
 * from it, so the two can never drift and neither branches on an action's id.
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

/** A bad argument, with a one-line reason naming it (ctl exits 2 with it). */
export class ActionArgError extends Error {}

/** A positional argument of a `ctl` subcommand: its name in the usage and how its text is checked. */
export interface ActionArg {
  name: string;
  /** Checks the text and writes the value into the context; throws ActionArgError naming the problem. */
  parse(text: string | undefined, into: ActionContext): void;
}

/** A boolean `ctl` option that sets a context field. */
export interface ActionOption {
  flags: string;
  field: "all";
  help: string;
}

/** A yes/no question asked before an action runs; the answer defaults to No. */
export interface Confirmation {
  question(ctx: ActionContext): string;
  /** What a yes deletes, for the refusal when nobody can be asked (no terminal, no --yes). */
  deletes(ctx: ActionContext): string;
}

/** The part of a backend client actions need: mutations, with the admin token added by the client. */
export interface MutationClient {
  mutation<M extends FunctionReference<"mutation", "public">>(ref: M, args: Omit<FunctionArgs<M>, "adminToken">): Promise<FunctionReturnType<M>>;
}

export interface ControlAction {
  id: string;
  /** Console key; absent for actions only `ctl` offers. */
  key?: string;
  label: string;
  help: string;
  /** The `ctl` subcommand (absent: console only). Its name is the action's id. */
  ctl?: { args: readonly ActionArg[]; options?: readonly ActionOption[]; notes?: string; examples: readonly string[] };
  confirm?: Confirmation;
  /** Long-running: reports progress through ctx.onProgress. */
  reportsProgress?: boolean;
  /** The console asks for a number before running (inject asks how many). */
  promptNumber?: NumberPrompt;
  /** Needs the bucket selected in the console (inject). */
  needsBucket?: boolean;
  run(client: MutationClient, ctx: ActionContext): Promise<string>;
}

/** `ctl <id> <arg> ...`: the usage line commander shows. */
export function ctlUsage(action: ControlAction): string {
  return [action.id, ...(action.ctl?.args ?? []).map((a) => `<${a.name}>`)].join(" ");
}

/** Checks a `ctl` subcommand's positional arguments before anything is opened, so bad input changes nothing. */
export function parseActionArgs(action: ControlAction, texts: readonly string[]): ActionContext {
  const ctx: ActionContext = {};
  (action.ctl?.args ?? []).forEach((arg, i) => arg.parse(texts[i], ctx));
  return ctx;
}

function wholeNumber(text: string | undefined, name: string, min: number, max: number, unit = ""): number {
  const n = /^\d+$/.test(text ?? "") ? Number(text) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) throw new ActionArgError(`${name} must be an integer${unit} between ${min} and ${max}, got "${text}"`);
  return n;
}

const BUCKET_ARG: ActionArg = {
  name: "bucket",
  parse(text, into) {
    if (!BUCKET_KEY_RE.test(text ?? "")) throw new ActionArgError(`bucket must look like acme:classify_lead_tier:v1, got "${text}"`);
    into.bucket = text;
  },
};
const COUNT_ARG: ActionArg = { name: "n", parse: (text, into) => void (into.n = wholeNumber(text, "n", 1, MAX_INJECT)) };
const SPEED_ARG: ActionArg = { name: "ms", parse: (text, into) => void (into.speedMs = wholeNumber(text, "speed", MIN_SPEED_MS, MAX_SPEED_MS, " number of ms")) };

/**
 * One mutation computes the new pause from the stored one, so two quick presses compose
 * (1000 -> 500 -> 250) rather than both reading 1000 and writing 500.
 */
async function nudgeSpeed(client: MutationClient, direction: "faster" | "slower"): Promise<string> {
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
    ctl: { args: [], examples: ["compile-daemon ctl pause"] },
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
    ctl: { args: [], examples: ["compile-daemon ctl start"] },
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
    ctl: { args: [], examples: ["compile-daemon ctl bump-sha"] },
    async run(client) {
      const result = await client.mutation(api.daemon.control.bumpSha, {});
      return `code sha bumped${result ? ` to ${result.sha.slice(0, 7)}` : ""}`;
    },
  },
  {
    id: "inject",
    key: "i",
    label: "inject",
    help: "inject N more traces into a bucket (in the console: the selected one)",
    ctl: { args: [BUCKET_ARG, COUNT_ARG], examples: ["compile-daemon ctl inject acme:classify_lead_tier:v1 5"] },
    needsBucket: true,
    promptNumber: { label: "how many traces", min: 1, max: MAX_INJECT, default: 10 },
    async run(client, ctx) {
      if (!ctx.bucket) throw new ActionArgError("inject needs a bucket");
      const n = ctx.n ?? 10;
      await client.mutation(api.daemon.control.inject, { bucket: ctx.bucket, n });
      return `injected ${n} into ${ctx.bucket}`;
    },
  },
  {
    id: "speed",
    label: "speed",
    help: `set the pause between two replayed traces (${MIN_SPEED_MS}..${MAX_SPEED_MS} ms; 0 = as fast as possible)`,
    ctl: { args: [SPEED_ARG], examples: ["compile-daemon ctl speed 50"] },
    async run(client, ctx) {
      if (ctx.speedMs === undefined) throw new ActionArgError("speed needs a value in ms");
      await client.mutation(api.daemon.control.speed, { speedMs: ctx.speedMs });
      return `speed ${ctx.speedMs} ms per trace`;
    },
  },
  {
    id: "speed-up",
    key: "+",
    label: "faster",
    help: "halve the pause between replayed traces",
    run: (client) => nudgeSpeed(client, "faster"),
  },
  {
    id: "speed-down",
    key: "-",
    label: "slower",
    help: "double the pause between replayed traces",
    run: (client) => nudgeSpeed(client, "slower"),
  },
  {
    id: "reset",
    key: "R",
    label: "reset",
    help: "rewind the replay; clear traces, buckets, jobs, triggers, usage (vault kept)",
    ctl: {
      args: [],
      options: [{ flags: "--all", field: "all", help: "also clear the vault (every compiled function)" }],
      notes:
        "At a terminal it asks first (default No); elsewhere it needs --yes. It runs to the end in bounded\n" +
        "transactions, with or without a daemon running, and reports progress on stderr.",
      examples: ["compile-daemon ctl reset", "compile-daemon ctl reset --all --yes --db /tmp/x.db"],
    },
    confirm: {
      question: (ctx) =>
        ctx.all
          ? "Reset the replay and clear traces, buckets, jobs, triggers and the VAULT (every compiled function)?"
          : "Reset the replay and clear traces, buckets, jobs and triggers?",
      deletes: (ctx) => `${ctx.all ? "the vault, " : ""}traces, buckets, jobs and triggers`,
    },
    reportsProgress: true,
    async run(client, ctx) {
      const { deleted } = await runReset(client, ctx.all ?? false, ctx.onProgress);
      return `${ctx.all ? "reset everything, vault included" : "reset (vault kept)"}: ${count(deleted)} row${deleted === 1 ? "" : "s"} deleted`;
    },
  },
];

/**
 * The whole reset, to its end, whether or not a daemon runs: the reset mutation rewinds and deletes
 * a first bounded batch, then one resetBatch per further batch until none is left. (A daemon's
 * scheduler would also finish it, later, should this caller die half way.)
 */
export async function runReset(client: MutationClient, all: boolean, onProgress?: (p: ResetProgress) => void): Promise<{ deleted: number }> {
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

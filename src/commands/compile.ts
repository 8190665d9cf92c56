import { stat } from "node:fs/promises";
import type { Command } from "commander";
import type { CallSite, CompileResult, Trace } from "../compiler/index.js";

// Loaded on use: the compiler pulls in the TypeScript compiler, which the other commands
// (and the always-on daemon) must not pay for at start-up.
const compiler = () => import("../compiler/index.js");
import { printable } from "../backend/printable.js";
import { UsageError } from "./errors.js";
import { DEFAULT_GATE } from "../compiler/types.js";

/** The gate's rules with their defaults, for --help (one place: DEFAULT_GATE). */
function gateHelp(): string {
  const g = DEFAULT_GATE;
  return [
    "Verdicts: compiled (answers every input), partial (answers what it has evidence for, returns undefined",
    "otherwise: the caller asks the model), waiting (looks right, too little evidence yet), rejected (with reasons).",
    "Scores come from later calls, each answered by a program fit only on the traces before it. The gate:",
    `  selective agreement >= ${g.agreement} and its 95 % lower bound >= ${g.agreementLowerBound}`,
    `  coverage >= ${g.coverageCompiled} for compiled, >= ${g.coveragePartial} for partial`,
    `  schema >= ${g.schema}, det >= ${g.det}, robustness >= ${g.robustness}`,
    `  lift over always answering the most common answer: one-sided exact test at ${g.liftAlpha} (unless every answer is the same)`,
  ].join("\n");
}

interface CompileFlags {
  traces: string;
  format?: string;
  bucket?: string;
  agent: string;
  json?: boolean;
  seed: string;
}

/** The --json line: exactly these keys, in this order (the contract). */
function jsonLine(result: CompileResult): string {
  const { bucket, verdict, scores, oracleLowerBound, baseline, liftPValue, novel, family, nTrain, nHoldout, reasons, code } = result;
  const coverage = { rate: result.coverage.rate, lowerBound: result.coverage.lowerBound, upperBound: result.coverage.upperBound, answered: result.coverage.ok, evaluated: result.coverage.n };
  const selective = { agreement: result.selective.rate, lowerBound: result.selective.lowerBound, upperBound: result.selective.upperBound, correct: result.selective.ok, answered: result.selective.n };
  return JSON.stringify({ bucket, verdict, scores, coverage, selective, robustness: scores.robustness, baseline, liftPValue, novel, oracleLowerBound, family, nTrain, nHoldout, reasons, code });
}

const fixed = (x: number) => x.toFixed(3);

const GLYPHS: Record<CompileResult["verdict"], string> = { compiled: "✓", partial: "◐", waiting: "…", rejected: "✗" };

function humanReport(result: CompileResult): string {
  const { scores, coverage, selective } = result;
  const lines = [
    `${GLYPHS[result.verdict]} ${printable(result.bucket)}  ${result.verdict.toUpperCase()}  family ${printable(result.family)}${result.origin === "llm" ? " (proposed by the LLM)" : ""}`,
    `  on ${coverage.n} later calls: coverage ${fixed(coverage.rate)} [${fixed(coverage.lowerBound)}, ${fixed(coverage.upperBound)}]  selective agreement ${fixed(selective.rate)} [${fixed(selective.lowerBound)}, ${fixed(selective.upperBound)}] (${selective.ok} of ${selective.n})  constant baseline ${fixed(result.baseline)}`,
    `  schema ${fixed(scores.schema)}  det ${fixed(scores.det)}  robustness ${fixed(scores.robustness)}  new inputs ${result.novel.distinct} (abstained on ${result.novel.abstained})`,
    `  traces ${result.nTraces}; evaluated forward on ${result.nHoldout}, each by a program fit on the traces before it`,
    ...result.reasons.map((reason) => `  reason: ${printable(reason)}`),
    ...result.notes.map((note) => `  note: ${printable(note)}`),
  ];
  if (result.code) lines.push("  code:", ...result.code.trimEnd().split("\n").map((line) => `    ${printable(line)}`));
  return `${lines.join("\n")}\n`;
}

/**
 * Every trace of the file, each line checked with the rules the backend checks traces with (one
 * validator, convex/lib/traceRules.ts); a file with a bad line is refused whole, naming file:line
 * and field of each problem.
 */
async function readTraces(file: string, formatName: string | undefined): Promise<Trace[]> {
  const { loadTraceFile } = await import("../contract/traceReader.js");
  const { refusedTraceFile, TraceFormatError, traceFormat, UnknownTraceFormatError, unknownTraceFormat, unreadableTraceFile } = await import("./traceFile.js");
  const format = traceFormat(formatName);
  try {
    return await loadTraceFile(file, { format });
  } catch (err) {
    if (err instanceof TraceFormatError) throw refusedTraceFile(err);
    if (err instanceof UnknownTraceFormatError) throw unknownTraceFormat(err);
    if (err instanceof Error && "code" in err) throw unreadableTraceFile(file, err);
    throw err;
  }
}

/** Call sites by bucket when --agent was given explicitly; otherwise schemas are inferred from the traces. */
async function callSitesFrom(cmd: Command, agentDir: string): Promise<Map<string, CallSite> | null> {
  if (cmd.getOptionValueSourceWithGlobals("agent") === "default") return null;
  const isDir = await stat(agentDir).then(
    (info) => info.isDirectory(),
    () => false,
  );
  if (!isDir) throw new UsageError(`--agent ${agentDir} is not a directory`);
  const { callSites } = await (await compiler()).scanRepo(agentDir);
  return new Map(callSites.map((site) => [site.bucket, site]));
}

export function registerCompile(program: Command): void {
  program
    .command("compile")
    .description("one-shot compile of a traces file (no daemon, no database): verdict, scores, family and code per bucket")
    .requiredOption("--traces <file>", "traces file: our JSON Lines ({bucket,input,output,model,latencyMs,tokensIn,tokensOut,ts} per line) or an OTel, Vercel AI SDK, Langfuse, Helicone or OpenPipe export")
    .option("--format <format>", "trace format: jsonl|otel|vercel-ai|langfuse|helicone|openpipe (default: detected from the first record)")
    .option("--bucket <key>", "compile only this bucket")
    .option("--seed <n>", "seed of the split, folds and synthetic inputs", "1")
    .addHelpText(
      "after",
      `\n${gateHelp()}\n\nExamples:\n  compile-daemon compile --traces data/acme-agent/traces/seed.jsonl\n  compile-daemon compile --traces my.jsonl --bucket acme:route_ticket:v1 --agent data/acme-agent --json`,
    )
    .action(async (_options: unknown, cmd: Command) => {
      const flags = cmd.optsWithGlobals<CompileFlags>();
      const seed = Number(flags.seed);
      if (!Number.isInteger(seed)) throw new UsageError(`--seed must be an integer, got ${flags.seed}`);
      const { closeSandboxes, compileBucket } = await compiler();
      const { groupByBucket } = await import("../contract/traceReader.js");
      const traces = await readTraces(flags.traces, flags.format);
      const groups = groupByBucket(traces);
      if (groups.size === 0) throw new UsageError(`${flags.traces}: no traces`);
      if (flags.bucket && !groups.has(flags.bucket)) throw new UsageError(`no traces for bucket ${printable(flags.bucket)} (buckets: ${[...groups.keys()].map((key) => printable(key)).join(", ")})`);
      const sites = await callSitesFrom(cmd, flags.agent);
      const buckets = flags.bucket ? [flags.bucket] : [...groups.keys()];
      try {
        for (const bucket of buckets) {
          const site = sites?.get(bucket);
          if (sites && !site) process.stderr.write(`compile-daemon: ${printable(bucket)} has no call site in ${printable(flags.agent)}; inferring its schemas from the traces\n`);
          const result = await compileBucket(groups.get(bucket) as Trace[], { bucket, seed, inputSchema: site?.inputSchema, outputSchema: site?.outputSchema });
          process.stdout.write(flags.json ? `${jsonLine(result)}\n` : humanReport(result));
        }
      } finally {
        await closeSandboxes();
      }
    });
}

import type { Command } from "commander";
import { rename, rm, stat, writeFile } from "node:fs/promises";
import { api } from "../../convex/_generated/api.js";
import { isUsable } from "../../convex/lib/verdicts.js";
import { shortSha } from "../backend/sha.js";
import { globals, printJson, printTable, withClient } from "./common.js";
import { UsageError } from "./errors.js";
import { figureColumns, fixed, selectiveText } from "./vaultFigures.js";

export function registerVault(program: Command): void {
  const vault = program
    .command("vault")
    .description("read the vault: one verdict per call site (compiled, partial, waiting or rejected)")
    .addHelpText(
      "after",
      "\nVerdicts:\n  compiled  answers (nearly) every input\n  partial   answers the inputs it has evidence for, returns undefined on the rest (ask the model then)\n  waiting   looks right, too little evidence yet: compiled again as the call site's traces grow\n  rejected  failed the gate, with one reason per failed rule\n" +
        "\nExamples:\n  compile-daemon vault list\n  compile-daemon vault show acme:normalize_country:v1\n  compile-daemon vault export acme:normalize_country:v1 -o normalize_country.js",
    );

  vault
    .command("list")
    .description("every vault entry: verdict, coverage, selective agreement and its lower bound, family, sha")
    .action(async (_o: unknown, cmd: Command) => {
      const g = globals(cmd);
      const entries = await withClient(cmd, (c) => c.query(api.daemon.vault.list, {}));
      if (g.json) {
        for (const e of entries) printJson(e);
        return;
      }
      printTable(
        entries.map((e) => ({
          bucket: e.bucket,
          ...figureColumns(e),
          robust: fixed(e.scores.robustness),
          family: e.family,
          traces: e.nTraces,
          sha: shortSha(e.sha),
        })),
      );
    });

  vault
    .command("show <bucket>")
    .description("one entry whole: coverage, agreement, scores, reasons, agent fixtures and code")
    .action(async (bucket: string, _o: unknown, cmd: Command) => {
      const g = globals(cmd);
      const e = await withClient(cmd, (c) => c.query(api.daemon.vault.get, { bucket }));
      if (!e) throw new UsageError(`no vault entry for ${bucket} (see: compile-daemon vault list)`);
      if (g.json) {
        printJson(e);
        return;
      }
      const out = process.stdout;
      out.write(`${e.bucket}  ${e.verdict.toUpperCase()}  family ${e.family}  sha ${e.sha}\n`);
      out.write(
        e.coverage === undefined
          ? "coverage   not measured (written before functions could abstain)\n"
          : `coverage   ${fixed(e.coverage)}  share of evaluated calls it answered (on the rest it returns undefined: ask the model)\n`,
      );
      out.write(`selective  ${selectiveText(e)}  agreement with the recorded answers on the calls it answered\n`);
      if (e.baseline !== undefined) out.write(`baseline   ${fixed(e.baseline)}  agreement of always answering the most common answer\n`);
      out.write(`scores     schema ${fixed(e.scores.schema)}  det ${fixed(e.scores.det)}  robustness ${fixed(e.scores.robustness)}\n`);
      out.write(`traces     ${e.nTraces} (trained on ${e.nTrain ?? "?"}, evaluated on ${e.nHoldout ?? "?"} later calls)\n`);
      if (e.reasons.length) out.write(`reasons:\n${e.reasons.map((r) => `  - ${r}`).join("\n")}\n`);
      const fixtures = envelopeLines(e.envelope);
      if (fixtures.length) out.write(`agent fixtures:\n${fixtures.join("\n")}\n`);
      out.write(`\n${e.code}\n`);
    });

  vault
    .command("export <bucket>")
    .description("write a compiled or partial function as an ES module (it returns undefined where it has no evidence)")
    .option("-o, --out <file>", "output file (default: stdout)")
    .action(async (bucket: string, opts: { out?: string }, cmd: Command) => {
      const e = await withClient(cmd, (c) => c.query(api.daemon.vault.get, { bucket }));
      if (!e) throw new UsageError(`no vault entry for ${bucket}`);
      if (!isUsable(e.verdict)) {
        throw new UsageError(`${bucket} is ${e.verdict}, not for use (${e.reasons.join("; ") || "no reason recorded"}): nothing to export`);
      }
      if (e.verdict === "partial") {
        process.stderr.write(`warning: ${bucket} is partial (coverage ${fixed(e.coverage)}): the function returns undefined on inputs it has no evidence for; ask the model then\n`);
      }
      const header = [
        `// ${e.bucket}: ${e.verdict} by compile-daemon (family ${e.family}, sha ${e.sha})`,
        `// coverage ${fixed(e.coverage)}, selective agreement ${selectiveText(e)}, schema ${fixed(e.scores.schema)}, det ${fixed(e.scores.det)}, robustness ${fixed(e.scores.robustness)}`,
        "// Returns undefined for an input it has no evidence for: the caller then asks the model.",
        "",
      ].join("\n");
      const text = header + e.code + (e.code.endsWith("\n") ? "" : "\n");
      if (!opts.out) {
        process.stdout.write(text);
        return;
      }
      // Written beside and renamed: a crash never leaves half a module behind.
      const target = await stat(opts.out).catch(() => undefined);
      if (target?.isDirectory()) throw new UsageError(`-o ${opts.out} is a directory; give a file name`);
      const tmp = `${opts.out}.${process.pid}.tmp`;
      try {
        await writeFile(tmp, text);
        await rename(tmp, opts.out);
      } catch (e) {
        await rm(tmp, { force: true });
        const code = (e as NodeJS.ErrnoException).code;
        throw new UsageError(`cannot write ${opts.out}: ${code === "ENOENT" ? "its folder does not exist" : code ?? String(e)}`);
      }
      process.stderr.write(`wrote ${opts.out}\n`);
    });
}

/** The agent's fixtures as the function answered them: "input -> output", or "deferred to the model". */
function envelopeLines(envelope: unknown): string[] {
  const calls = (envelope as { calls?: unknown } | undefined)?.calls;
  if (!Array.isArray(calls)) return [];
  return calls.slice(0, 20).map((c: { input?: unknown; output?: unknown; abstained?: boolean }) => {
    const answer = c.abstained === true || c.output === undefined ? "deferred to the model (undefined)" : JSON.stringify(c.output);
    return `  ${JSON.stringify(c.input)} -> ${answer}`;
  }).concat(calls.length > 20 ? [`  … ${calls.length - 20} more`] : []);
}

import type { Command } from "commander";
import { rename, rm, stat, writeFile } from "node:fs/promises";
import { api } from "../../convex/_generated/api.js";
import { shortSha } from "../backend/sha.js";
import { globals, printJson, printTable, withClient } from "./common.js";
import { UsageError } from "./errors.js";

export function registerVault(program: Command): void {
  const vault = program
    .command("vault")
    .description("read the vault: the compiled (and rejected) call sites")
    .addHelpText("after", "\nExamples:\n  compile-daemon vault list\n  compile-daemon vault show acme:normalize_country:v1\n  compile-daemon vault export acme:normalize_country:v1 -o normalize_country.js");

  vault
    .command("list")
    .description("every vault entry: verdict, scores, family, sha")
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
          verdict: e.verdict,
          schema: e.scores.schema.toFixed(3),
          det: e.scores.det.toFixed(3),
          oracle: e.scores.oracle.toFixed(3),
          family: e.family,
          traces: e.nTraces,
          sha: shortSha(e.sha),
        })),
      );
    });

  vault
    .command("show <bucket>")
    .description("one entry whole: scores, reasons, envelope and code")
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
      out.write(`scores  schema ${e.scores.schema.toFixed(3)}  det ${e.scores.det.toFixed(3)}  oracle ${e.scores.oracle.toFixed(3)}`);
      if (e.oracleLowerBound !== undefined) out.write(` (95% lower bound ${e.oracleLowerBound.toFixed(3)})`);
      if (e.baseline !== undefined) out.write(`  constant baseline ${e.baseline.toFixed(3)}`);
      out.write(`\ntraces ${e.nTraces} (train ${e.nTrain ?? "?"}, holdout ${e.nHoldout ?? "?"})\n`);
      if (e.reasons.length) out.write(`reasons:\n${e.reasons.map((r) => `  - ${r}`).join("\n")}\n`);
      out.write(`\n${e.code}\n`);
    });

  vault
    .command("export <bucket>")
    .description("write the compiled function as an ES module")
    .option("-o, --out <file>", "output file (default: stdout)")
    .action(async (bucket: string, opts: { out?: string }, cmd: Command) => {
      const e = await withClient(cmd, (c) => c.query(api.daemon.vault.get, { bucket }));
      if (!e) throw new UsageError(`no vault entry for ${bucket}`);
      if (e.verdict !== "compiled") throw new UsageError(`${bucket} was rejected (${e.reasons.join("; ") || "no reason recorded"}): nothing to export`);
      const header = `// ${e.bucket} compiled by compile-daemon (family ${e.family}, sha ${e.sha})\n// scores: schema ${e.scores.schema.toFixed(3)}, det ${e.scores.det.toFixed(3)}, oracle ${e.scores.oracle.toFixed(3)}\n`;
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

import type { Command } from "commander";
import { constants } from "node:fs";
import { randomBytes } from "node:crypto";
import { link, lstat, open, rename, rm, type FileHandle } from "node:fs/promises";
import path from "node:path";
import { api } from "../contract/api.js";
import { isUsable, windowText } from "../contract/rules.js";
import { shortSha } from "../backend/sha.js";
import { globals, printJson, printTable, withClient } from "./common.js";
import { commentText } from "../compiler/emit.js";
import { printable } from "../backend/printable.js";
import { checkCode, codeHash } from "../compiler/codeCheck.js";
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
      const verdict = e.status === "demoted" ? `DEMOTED (was ${e.verdict})` : e.verdict.toUpperCase();
      out.write(`${printable(e.bucket)}  ${verdict}  family ${printable(e.family)}  sha ${printable(e.sha)}\n`);
      if (e.demotion) out.write(`demoted    ${new Date(e.demotion.at).toISOString()}: ${printable(e.demotion.evidence)} (no longer served; a DRIFT recompile was queued)\n`);
      out.write(
        e.coverage === undefined
          ? "coverage   not measured (written before functions could abstain)\n"
          : `coverage   ${fixed(e.coverage)}  share of evaluated calls it answered (on the rest it returns undefined: ask the model)\n`,
      );
      out.write(`selective  ${selectiveText(e)}  agreement with the recorded answers on the calls it answered\n`);
      if (e.baseline !== undefined) out.write(`baseline   ${fixed(e.baseline)}  agreement of always answering the most common answer\n`);
      out.write(`scores     schema ${fixed(e.scores.schema)}  det ${fixed(e.scores.det)}  robustness ${fixed(e.scores.robustness)}\n`);
      out.write(`traces     ${e.nTraces} (trained on ${e.nTrain ?? "?"}, evaluated on ${e.nHoldout ?? "?"} later calls)${e.window ? `; ${windowText(e.window)}` : ""}\n`);
      if (e.reasons.length) out.write(`reasons:\n${e.reasons.map((r) => `  - ${printable(r)}`).join("\n")}\n`);
      const fixtures = envelopeLines(e.envelope);
      if (fixtures.length) out.write(`agent fixtures:\n${fixtures.join("\n")}\n`);
      out.write(`\n${printable(e.code, { multiline: true })}\n`);
    });

  vault
    .command("export <bucket>")
    .description("write a compiled or partial function as an ES module (it returns undefined where it has no evidence)")
    .option("-o, --out <file>", "output file (default: stdout); an existing file is replaced only with --force")
    .option("--force", "replace an existing output file")
    .addHelpText(
      "after",
      "\nOnly code that still matches the sha256 recorded when it was verified, and that passes the code check\n" +
        "again, is exported; anything else is refused (exit 2). -o writes a new temporary file beside the target\n" +
        "and moves it into place; an existing file is replaced only with --force, a symbolic link never.",
    )
    .action(async (bucket: string, opts: { out?: string; force?: boolean }, cmd: Command) => {
      const e = await withClient(cmd, (c) => c.query(api.daemon.vault.get, { bucket }));
      if (!e) throw new UsageError(`no vault entry for ${printable(bucket)}`);
      if (e.status === "demoted") {
        throw new UsageError(`${printable(bucket)}: its newest entry was demoted (${printable(e.demotion?.evidence ?? "its shadow checks disagreed with the model")}): nothing to export until it compiles again`);
      }
      if (!isUsable(e.verdict)) {
        throw new UsageError(`${printable(bucket)} is ${e.verdict}, not for use (${printable(e.reasons.join("; ")) || "no reason recorded"}): nothing to export`);
      }
      // The state file is only a file: code is loaded only as it was verified, and only if still data-shaped.
      if (e.codeHash === undefined) {
        throw new UsageError(`${printable(bucket)}: the vault entry has no code hash (written by an older version): compile it again before exporting`);
      }
      const actual = codeHash(e.code);
      if (actual !== e.codeHash) {
        throw new UsageError(`${printable(bucket)}: the stored code does not match the hash recorded when it was verified (sha256 ${actual.slice(0, 12)}…, recorded ${printable(e.codeHash.slice(0, 12))}…): refusing to export it; compile it again`);
      }
      const header = [
        `// ${commentText(e.bucket)}: ${e.verdict} by compile-daemon (family ${commentText(e.family)}, sha ${commentText(e.sha)})`,
        `// coverage ${fixed(e.coverage)}, selective agreement ${selectiveText(e)}, schema ${fixed(e.scores.schema)}, det ${fixed(e.scores.det)}, robustness ${fixed(e.scores.robustness)}`,
        `// code sha256 ${e.codeHash}`,
        "// Returns undefined for an input it has no evidence for: the caller then asks the model.",
        "",
      ].join("\n");
      const text = header + e.code + (e.code.endsWith("\n") ? "" : "\n");
      // Checked as written out, header included: the same grammar the compile used.
      const checked = checkCode(text);
      if (!checked.ok) {
        throw new UsageError(`${printable(bucket)}: the stored code fails the code check (${checked.reasons[0]}${checked.reasons.length > 1 ? `; ${checked.reasons.length - 1} more` : ""}): refusing to export it`);
      }
      if (e.verdict === "partial") {
        process.stderr.write(`warning: ${printable(bucket)} is partial (coverage ${fixed(e.coverage)}): the function returns undefined on inputs it has no evidence for; ask the model then\n`);
      }
      if (!opts.out) {
        process.stdout.write(text);
        return;
      }
      await writeNewFile(opts.out, text, opts.force === true);
      process.stderr.write(`wrote ${printable(opts.out)}\n`);
    });
}

/**
 * Writes `text` to `file` without ever following a symbolic link or replacing a file unasked: the
 * text goes to a temporary file with an unpredictable name, created exclusively (O_EXCL, O_NOFOLLOW,
 * mode 0644) beside the target, then takes the target's name: by a hard link, which fails if the name
 * exists (no overwrite), or with --force by a rename, which replaces the name itself (never a link's
 * target). A crash never leaves half a module behind.
 */
export async function writeNewFile(file: string, text: string, force: boolean): Promise<void> {
  const shown = printable(file);
  const existing = await lstat(file).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return undefined;
    throw new UsageError(`cannot write ${shown}: ${err.code ?? err.message}`);
  });
  if (existing?.isSymbolicLink()) throw new UsageError(`-o ${shown} is a symbolic link: refusing to write through it (remove it or choose another name)`);
  if (existing?.isDirectory()) throw new UsageError(`-o ${shown} is a directory; give a file name`);
  if (existing && !existing.isFile()) throw new UsageError(`-o ${shown} exists and is not a regular file`);
  if (existing && !force) throw new UsageError(`-o ${shown} already exists: add --force to replace it`);
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(12).toString("hex")}.tmp`);
  const cannot = (err: unknown) => {
    const code = (err as NodeJS.ErrnoException).code;
    return new UsageError(`cannot write ${shown}: ${code === "ENOENT" ? "its folder does not exist" : (code ?? String(err))}`);
  };
  let handle: FileHandle;
  try {
    handle = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
  } catch (err) {
    throw cannot(err);
  }
  try {
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (force) {
      // The name may have become a link since the check: rename replaces the name, not what it points at.
      await rename(tmp, file);
    } else {
      const exists = () => new UsageError(`-o ${shown} already exists: add --force to replace it`);
      try {
        await link(tmp, file);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === "EEXIST") throw exists();
        // A file system without hard links: check once more, then rename.
        if (!["EPERM", "ENOTSUP", "ENOSYS", "EOPNOTSUPP"].includes(code ?? "")) throw err;
        if (await lstat(file).then(() => true, () => false)) throw exists();
        await rename(tmp, file);
      }
      await rm(tmp, { force: true });
    }
  } catch (err) {
    await rm(tmp, { force: true });
    throw err instanceof UsageError ? err : cannot(err);
  }
}

/** The agent's fixtures as the function answered them: "input -> output", or "deferred to the model". */
function envelopeLines(envelope: unknown): string[] {
  const calls = (envelope as { calls?: unknown } | undefined)?.calls;
  if (!Array.isArray(calls)) return [];
  return calls.slice(0, 20).map((c: { input?: unknown; output?: unknown; abstained?: boolean }) => {
    const answer = c.abstained === true || c.output === undefined ? "deferred to the model (undefined)" : printable(JSON.stringify(c.output));
    return `  ${printable(JSON.stringify(c.input))} -> ${answer}`;
  }).concat(calls.length > 20 ? [`  … ${calls.length - 20} more`] : []);
}

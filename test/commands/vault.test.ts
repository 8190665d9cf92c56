import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { Command } from "commander";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { api } from "../../convex/_generated/api.js";
import { openBackend } from "../../src/backend/open.js";
import { UsageError } from "../../src/commands/errors.js";
import { registerVault } from "../../src/commands/vault.js";
import { codeHash } from "../../src/compiler/codeCheck.js";
import { writeVaultEntry } from "../helpers/vaultEntry.js";

type Verdict = "compiled" | "partial" | "waiting" | "rejected";

const BUCKETS: Record<Verdict, string> = {
  compiled: "acme:extract_company:v1",
  partial: "acme:normalize_country:v1",
  waiting: "acme:classify_lead_tier:v1",
  rejected: "acme:draft_reply:v1",
};

const CODE = "export default function compiled(input) {\n  return input.k === 1 ? { code: 'GB' } : undefined;\n}";

/** Entries as an older version, a tampered state file or a hostile writer would leave them. */
const ODD: Record<string, (e: ReturnType<typeof entry>) => Record<string, unknown>> = {
  // Written before code hashes: no codeHash.
  "acme:old_entry:v1": ({ codeHash: _hash, ...rest }) => rest,
  // Code changed after verification (the hash is of the code that was checked).
  "acme:tampered:v1": (e) => ({ ...e, code: e.code.replace("'GB'", "globalThis.process.getBuiltinModule('node:fs')") }),
  // Code that matches its hash but was never data-shaped.
  "acme:hostile:v1": (e) => {
    const code = `${e.code}\nconst X = (() => { globalThis.pwned = 1; })();\n`;
    return { ...e, code, codeHash: codeHash(code) };
  },
  // A family (printed in the exported header) that tries to end its comment.
  "acme:crafted_family:v1": (e) => ({ ...e, family: "lookup\nglobalThis.pwned = 1;\u2028globalThis.pwned = 2;//" }),
  // Edited with sqlite3 below.
  "acme:edited:v1": (e) => e,
};

/** Entries the pipeline can write: intervals that hold their estimates, reasons unless compiled. */
function entry(verdict: Verdict) {
  return {
    verdict,
    scores: { schema: 1, det: 1, oracle: 0.968, robustness: 0.99 },
    coverage: verdict === "partial" ? 0.62 : 1,
    selective: { agreement: 0.968, lowerBound: verdict === "waiting" ? 0.722 : 0.89, upperBound: 0.991 },
    oracleLowerBound: 0.89,
    baseline: 0.41,
    family: "lookup",
    code: CODE,
    codeHash: codeHash(CODE),
    nTraces: 120,
    nTrain: 120,
    nHoldout: 100,
    reasons: verdict === "compiled" ? [] : [`${verdict}: the reason the gate gave`],
    ...(verdict === "partial"
      ? { envelope: { calls: [{ input: { k: 1 }, output: { code: "GB" }, micros: 0.2 }, { input: { k: 2 }, abstained: true, micros: 0.1 }] } }
      : {}),
  };
}

let db: string;

beforeAll(async () => {
  db = path.join(mkdtempSync(path.join(tmpdir(), "vault-cmd-")), "state.db");
  const client = await openBackend({ dbPath: db, convexUrl: "", runCrons: false, runScheduler: false });
  const entries: Array<[string, Record<string, unknown>]> = [
    ...(Object.entries(BUCKETS) as Array<[Verdict, string]>).map(([verdict, bucket]): [string, Record<string, unknown>] => [bucket, entry(verdict)]),
    ...Object.entries(ODD).map(([bucket, make]): [string, Record<string, unknown>] => [bucket, make(entry("compiled"))]),
  ];
  for (const [bucket, e] of entries) {
    await writeVaultEntry(client, bucket, "s1", e as ReturnType<typeof entry>);
  }
  await client.close();
  // The reproduction: the state file edited with sqlite3 after the entry was verified.
  const sqlite = new DatabaseSync(db);
  const edited = sqlite
    .prepare(`UPDATE "t_vault_index" SET doc = json_set(doc, '$.code', ?) WHERE json_extract(doc, '$.bucket') = ?`)
    .run(`${CODE}\nconst X = (() => { globalThis.pwned = 1; })();\n`, "acme:edited:v1");
  sqlite.close();
  if (edited.changes !== 1) throw new Error("the sqlite edit did not find the entry");
});

afterEach(() => vi.restoreAllMocks());

/** Runs `compile-daemon vault ...` in this process and returns what it wrote. */
async function vault(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  const out = { stdout: "", stderr: "" };
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => ((out.stdout += String(chunk)), true));
  vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => ((out.stderr += String(chunk)), true));
  const program = new Command().option("--db <path>").option("--agent <dir>").option("--json").exitOverride();
  registerVault(program);
  await program.parseAsync(["vault", ...args, "--db", db], { from: "user" });
  return out;
}

describe("vault commands", () => {
  it("list shows each verdict with coverage, selective agreement and its lower bound", async () => {
    const { stdout } = await vault("list");
    const header = stdout.split("\n")[0];
    expect(header).toMatch(/bucket\s+verdict\s+coverage\s+selective\s+lower\s+robust\s+family\s+traces\s+sha/);
    expect(stdout).toMatch(/acme:normalize_country:v1\s+partial\s+0\.620\s+0\.968\s+0\.890\s+0\.990\s+lookup\s+120/);
    expect(stdout).toMatch(/acme:classify_lead_tier:v1\s+waiting\s+1\.000\s+0\.968\s+0\.722/);
  });

  it("show prints coverage, the selective interval, robustness, baseline and the reasons", async () => {
    const { stdout } = await vault("show", BUCKETS.partial);
    expect(stdout).toContain("acme:normalize_country:v1  PARTIAL  family lookup  sha s1");
    expect(stdout).toContain("coverage   0.620");
    expect(stdout).toContain("selective  0.968 (95% interval 0.890-0.991)");
    expect(stdout).toContain("baseline   0.410");
    expect(stdout).toContain("robustness 0.990");
    expect(stdout).toContain("  - partial: the reason the gate gave");
    expect(stdout).toContain('  {"k":1} -> {"code":"GB"}');
    expect(stdout).toContain('  {"k":2} -> deferred to the model (undefined)');
  });

  it("export writes a compiled function with the abstention contract in its header", async () => {
    const { stdout, stderr } = await vault("export", BUCKETS.compiled);
    expect(stdout).toContain("// acme:extract_company:v1: compiled by compile-daemon");
    expect(stdout).toContain("// Returns undefined for an input it has no evidence for: the caller then asks the model.");
    expect(stdout).toContain("export default function compiled(input)");
    expect(stderr).toBe("");
  });

  it("export of a partial function works and warns on stderr in one line", async () => {
    const { stdout, stderr } = await vault("export", BUCKETS.partial);
    expect(stdout).toContain("export default function compiled(input)");
    expect(stderr.trim().split("\n")).toHaveLength(1);
    expect(stderr).toContain("returns undefined on inputs it has no evidence for");
  });

  it("export refuses waiting and rejected entries with their reasons (a usage error: exit 2)", async () => {
    for (const verdict of ["waiting", "rejected"] as const) {
      const err = await vault("export", BUCKETS[verdict]).catch((e: unknown) => e);
      expect(err, verdict).toBeInstanceOf(UsageError);
      expect((err as Error).message).toBe(`${BUCKETS[verdict]} is ${verdict}, not for use (${verdict}: the reason the gate gave): nothing to export`);
    }
  });
  it("export refuses code that no longer matches the hash recorded at verification (a state file edited with sqlite3), exit 2", async () => {
    for (const bucket of ["acme:tampered:v1", "acme:edited:v1"]) {
      const err = await vault("export", bucket).catch((e: unknown) => e);
      expect(err, bucket).toBeInstanceOf(UsageError);
      expect((err as Error).message, bucket).toMatch(new RegExp(`^${bucket}: the stored code does not match the hash recorded when it was verified \\(sha256 [0-9a-f]{12}…, recorded [0-9a-f]{12}…\\): refusing to export it; compile it again$`));
    }
  });

  it("export refuses an entry from before code hashes, asking for a compile", async () => {
    const err = await vault("export", "acme:old_entry:v1").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toBe("acme:old_entry:v1: the vault entry has no code hash (written by an older version): compile it again before exporting");
  });

  it("export refuses code that matches its hash but fails the code check, naming the construct", async () => {
    const err = await vault("export", "acme:hostile:v1").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(/^acme:hostile:v1: the stored code fails the code check \(line \d+: a call in the top-level const `X` is not allowed .*\): refusing to export it$/);
    expect((err as Error).message).not.toContain("\n");
  });

  it("export keeps names in the header inside their comments", async () => {
    const { stdout } = await vault("export", "acme:crafted_family:v1");
    expect(stdout).toContain("(family lookup?globalThis.pwned = 1;?globalThis.pwned = 2;//, sha s1)");
    expect(stdout.split("\n").filter((line) => line.includes("pwned")).every((line) => line.startsWith("//"))).toBe(true);
    expect(stdout).toContain(`// code sha256 ${codeHash(CODE)}`);
  });

  it("export -o writes a new file 0644 through an exclusive temporary file, leaving nothing else behind", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "vault-out-"));
    const file = path.join(dir, "fn.js");
    const { stderr } = await vault("export", BUCKETS.compiled, "-o", file);
    expect(stderr).toBe(`wrote ${file}\n`);
    expect(readFileSync(file, "utf8")).toContain("export default function compiled(input)");
    expect(lstatSync(file).mode & 0o777).toBe(0o644 & ~process.umask());
    expect(readdirSync(dir)).toEqual(["fn.js"]);
  });

  it("export -o refuses to replace an existing file without --force, and replaces it with --force", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "vault-out-"));
    const file = path.join(dir, "fn.js");
    writeFileSync(file, "mine");
    const err = await vault("export", BUCKETS.compiled, "-o", file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toBe(`-o ${file} already exists: add --force to replace it`);
    expect(readFileSync(file, "utf8")).toBe("mine");
    await vault("export", BUCKETS.compiled, "-o", file, "--force");
    expect(readFileSync(file, "utf8")).toContain("export default function compiled(input)");
    expect(readdirSync(dir)).toEqual(["fn.js"]);
  });

  it("export -o never follows or replaces a symbolic link, even with --force", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "vault-out-"));
    const victim = path.join(dir, "victim.txt");
    writeFileSync(victim, "precious");
    const link = path.join(dir, "fn.js");
    symlinkSync(victim, link);
    const dangling = path.join(dir, "dangling.js");
    symlinkSync(path.join(dir, "nowhere.txt"), dangling);
    for (const [target, force] of [[link, false], [link, true], [dangling, false], [dangling, true]] as const) {
      const err = await vault("export", BUCKETS.compiled, "-o", target, ...(force ? ["--force"] : [])).catch((e: unknown) => e);
      expect(err, `${target} ${force}`).toBeInstanceOf(UsageError);
      expect((err as Error).message).toBe(`-o ${target} is a symbolic link: refusing to write through it (remove it or choose another name)`);
    }
    expect(readFileSync(victim, "utf8")).toBe("precious");
    expect(readlinkSync(link)).toBe(victim);
    expect(existsSync(path.join(dir, "nowhere.txt"))).toBe(false);
    expect(readdirSync(dir).sort()).toEqual(["dangling.js", "fn.js", "victim.txt"]);
  });

  it("export -o refuses a directory and a missing folder in one line", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "vault-out-"));
    await expect(vault("export", BUCKETS.compiled, "-o", dir)).rejects.toThrow(new UsageError(`-o ${dir} is a directory; give a file name`));
    await expect(vault("export", BUCKETS.compiled, "-o", path.join(dir, "no", "fn.js"))).rejects.toThrow(new UsageError(`cannot write ${path.join(dir, "no", "fn.js")}: its folder does not exist`));
  });
});

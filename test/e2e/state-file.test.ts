import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { api } from "../../convex/_generated/api.js";
import { openBackend } from "../../src/backend/open.js";
import { codeHash } from "../../src/compiler/codeCheck.js";
import { CLI, ROOT } from "./cli.js";
import { writeVaultEntry } from "../helpers/vaultEntry.js";

/**
 * State file hygiene through the installed entry point: the state file is created 0600, and a state
 * file (and folder) the user may not write can still be inspected with `ctl status` and
 * `vault list/show/export`, which write nothing; a command that writes says why it cannot.
 *
 * Root may write anything, so as root the read-only checks run as `nobody` (uid 65534).
 */

const NOBODY = 65534;
const isRoot = process.getuid?.() === 0;
const mode = (file: string) => (statSync(file).mode & 0o777).toString(8);
const hash = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) {
    try {
      chmodSync(d, 0o700);
    } catch {
      // already gone
    }
    rmSync(d, { recursive: true, force: true });
  }
});

function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), "state-file-"));
  dirs.push(d);
  return d;
}

/** The CLI as a user who may not write the state file: `nobody` when we are root, else ourselves. */
function cliAsReader(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, HOME: tmpdir() },
    timeout: 60_000,
    ...(isRoot ? { uid: NOBODY, gid: NOBODY } : {}),
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const CODE = "export default function compiled(input) {\n  return input;\n}\n";

/** A state file with a few traces and one compiled vault entry. */
async function populate(db: string): Promise<void> {
  const client = await openBackend({ dbPath: db, convexUrl: "", runCrons: false, runScheduler: false });
  const bucket = "acme:extract_company:v1";
  await client.mutation(api.daemon.ingest.ingestBatch, {
    traces: Array.from({ length: 5 }, (_, i) => ({ bucket, input: { i }, output: { i }, model: "m", latencyMs: 1, tokensIn: 1, tokensOut: 1, ts: 1_700_000_000_000 + i })),
  });
  await writeVaultEntry(client, bucket, "initial", {
    verdict: "compiled",
    scores: { schema: 1, det: 1, oracle: 1, robustness: 1 },
    coverage: 1,
    selective: { agreement: 1, lowerBound: 0.9, upperBound: 1 },
    oracleLowerBound: 0.9,
    baseline: 0.2,
    family: "field_copy",
    code: CODE,
    codeHash: codeHash(CODE),
    nTraces: 5,
    nTrain: 5,
    nHoldout: 5,
    reasons: [],
  });
  await client.close();
}

describe("state file permissions", () => {
  it("`seed` creates the state file 0600 and its folder 0700", () => {
    const dir = tempDir();
    const db = path.join(dir, "new", "state.db");
    const r = cli(["seed", "--db", db]);
    expect(r.status, r.stderr).toBe(0);
    expect(mode(db)).toBe("600");
    expect(mode(path.dirname(db))).toBe("700");
  });
});

/**
 * As root the read-only checks run as `nobody`; a checkout nobody cannot reach (a clone inside a
 * 0700 temporary folder) cannot host them, and the file modes mean nothing to root itself.
 */
function nobodyCannotRun(): string | false {
  if (!isRoot) return false;
  const probe = spawnSync(process.execPath, [CLI, "--version"], { cwd: ROOT, encoding: "utf8", timeout: 60_000, uid: NOBODY, gid: NOBODY });
  return probe.status === 0 ? false : `as root these run as nobody, who cannot run ${CLI} here (${probe.error?.message ?? probe.stderr.trim().split("\n")[0] ?? `exit ${probe.status}`})`;
}
const skipReason = nobodyCannotRun();
if (skipReason) console.warn(`skipped: ${skipReason}`);

describe.skipIf(Boolean(skipReason))("a read-only state file can be inspected", () => {
  it("chmod 444 in a read-only folder: ctl status and vault list/show/export work and change nothing; ctl pause says why it cannot", async () => {
    const dir = tempDir();
    const folder = path.join(dir, "state");
    const db = path.join(folder, "state.db");
    await populate(db);
    expect(existsSync(`${db}-wal`)).toBe(false); // closed cleanly: everything is in the main file
    if (isRoot) {
      for (const p of [dir, folder, db]) chownSync(p, NOBODY, NOBODY);
    }
    chmodSync(dir, 0o755);
    chmodSync(db, 0o444);
    chmodSync(folder, 0o555);
    const before = hash(db);
    const files = readdirSync(folder);

    const status = cliAsReader(["ctl", "status", "--db", db, "--json"]);
    expect(status.status, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ backend: "embedded", buckets: [{ key: "acme:extract_company:v1", count: 5 }] });

    const list = cliAsReader(["vault", "list", "--db", db]);
    expect(list.status, list.stderr).toBe(0);
    expect(list.stdout).toContain("acme:extract_company:v1");

    const show = cliAsReader(["vault", "show", "acme:extract_company:v1", "--db", db]);
    expect(show.status, show.stderr).toBe(0);
    expect(show.stdout).toContain("return input;");

    // Export writes elsewhere (a folder the reader may write), never beside the state file.
    chmodSync(dir, 0o777);
    const exported = cliAsReader(["vault", "export", "acme:extract_company:v1", "-o", path.join(dir, "fn.js"), "--db", db]);
    expect(exported.stderr).not.toMatch(/read-only|cannot open state file|readonly database/);
    expect(exported.status, exported.stderr).toBe(0);
    expect(readFileSync(path.join(dir, "fn.js"), "utf8")).toContain("return input;");

    const pause = cliAsReader(["ctl", "pause", "--db", db]);
    expect(pause.status).toBe(2);
    expect(pause.stderr).toMatch(/^compile-daemon: state file .*state\.db is read-only, and this command writes to it \(`ctl status` and `vault list\/show\/export` only read/);
    expect(pause.stderr.trim().split("\n")).toHaveLength(1);

    expect(hash(db)).toBe(before);
    expect(readdirSync(folder)).toEqual(files); // no -wal, -shm or anything else created
  });

  it("a read-only file in a writable folder (chmod 444 only) reads too; a writing command refuses", async () => {
    const dir = tempDir();
    const db = path.join(dir, "state.db");
    await populate(db);
    if (isRoot) for (const p of [dir, db]) chownSync(p, NOBODY, NOBODY);
    chmodSync(dir, 0o755);
    chmodSync(db, 0o444);
    const before = hash(db);
    const status = cliAsReader(["ctl", "status", "--db", db]);
    expect(status.status, status.stderr).toBe(0);
    expect(status.stdout).toContain("acme:extract_company:v1");
    const reset = cliAsReader(["ctl", "reset", "--yes", "--db", db]);
    expect(reset.status).toBe(2);
    expect(reset.stderr).toMatch(/is read-only, and this command writes to it/);
    expect(hash(db)).toBe(before);

    // The reader's SQLite left a -wal and -shm with the file's 0444; made writable again, the
    // state file works for writes at once (the -wal/-shm get its mode back).
    chmodSync(db, 0o600);
    const pause = cliAsReader(["ctl", "pause", "--db", db]);
    expect(pause.status, pause.stderr).toBe(0);
    expect(cliAsReader(["ctl", "status", "--db", db, "--json"]).stdout).toContain('"paused":true');
  });
});

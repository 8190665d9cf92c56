import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openBackend, StateFileError } from "../../src/backend/open.js";
import { api } from "../../convex/_generated/api.js";
import type { SchemaLike } from "../../src/backend/embedded/schema.js";
import { openApp, tempDb } from "./fixtures/open.js";

/**
 * State file hygiene: the file holds every trace and the admin token, so it and its -wal/-shm are
 * created 0600; and a command that only reads opens it read-only and writes nothing.
 */

const mode = (file: string) => statSync(file).mode & 0o777;
const hash = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

let db: { path: string; cleanup: () => void };
let savedUmask: number;

beforeEach(() => {
  db = tempDb();
  // The usual umask: without the fix every file came out 0644.
  savedUmask = process.umask(0o022);
});

afterEach(() => {
  process.umask(savedUmask);
  db.cleanup();
});

describe("state file permissions", () => {
  it("a new state file and its -wal and -shm are 0600, whatever the umask", async () => {
    for (const umask of [0o022, 0o000]) {
      process.umask(umask);
      const file = path.join(path.dirname(db.path), `u${umask}.db`);
      const rt = openApp(file);
      await rt.mutation("app:add", { name: "a", n: 1 });
      // While it is open, SQLite keeps the -wal and -shm beside it.
      for (const f of [file, `${file}-wal`, `${file}-shm`]) {
        expect(existsSync(f), f).toBe(true);
        expect(mode(f).toString(8), f).toBe("600");
      }
      await rt.close();
    }
  });

  it("openBackend makes the state file's folder 0700 when it creates it", async () => {
    const file = path.join(path.dirname(db.path), "fresh", "state.db");
    const client = await openBackend({ dbPath: file, convexUrl: "", runCrons: false, runScheduler: false });
    await client.close();
    expect(mode(path.dirname(file)).toString(8)).toBe("700");
    expect(mode(file).toString(8)).toBe("600");
  });

  it("an existing world-readable file (an older version's 0644) is narrowed to 0600 on a writable open, and says so", async () => {
    let rt = openApp(db.path);
    await rt.mutation("app:add", { name: "a", n: 1 });
    await rt.close();
    chmodSync(db.path, 0o644);
    const lines: string[] = [];
    rt = openApp(db.path, { log: (m) => lines.push(m) });
    expect(mode(db.path).toString(8)).toBe("600");
    expect(lines.join("\n")).toMatch(/state file permissions fixed \(.*state\.db: 0644 -> 0600\)/);
    await rt.close();
  });

  it("a -wal or -shm a reader left read-only (the state file was chmod 444 then) gets the main file's mode back", async () => {
    let rt = openApp(db.path);
    await rt.mutation("app:add", { name: "a", n: 1 });
    await rt.close();
    for (const side of [`${db.path}-wal`, `${db.path}-shm`]) writeFileSync(side, "");
    chmodSync(`${db.path}-wal`, 0o444);
    chmodSync(`${db.path}-shm`, 0o400);
    const lines: string[] = [];
    rt = openApp(db.path, { log: (m) => lines.push(m) });
    await rt.mutation("app:add", { name: "b", n: 2 });
    expect(mode(`${db.path}-wal`).toString(8)).toBe("600");
    expect(mode(`${db.path}-shm`).toString(8)).toBe("600");
    expect(lines.join("\n")).toMatch(/state\.db-shm: 0400 -> 0600/);
    await rt.close();
  });

  it("a mode chosen for a group (0640) is left as it is", async () => {
    let rt = openApp(db.path);
    await rt.close();
    chmodSync(db.path, 0o640);
    rt = openApp(db.path);
    expect(mode(db.path).toString(8)).toBe("640");
    await rt.close();
  });
});

describe("read-only opens write nothing", () => {
  async function populated(): Promise<string> {
    const rt = openApp(db.path);
    await rt.mutation("app:add", { name: "kept", n: 7 });
    await rt.close(); // the last connection checkpoints and removes the -wal
    return hash(db.path);
  }

  it("queries and subscriptions work; the file is unchanged, no lease, no token, no mode change", async () => {
    const before = await populated();
    chmodSync(db.path, 0o644);
    const raw = new DatabaseSync(db.path);
    raw.exec("DELETE FROM _env"); // as if written before tokens existed: a read-only open must not add one
    raw.close();
    const withoutToken = hash(db.path);
    expect(withoutToken).not.toBe(before);

    const rt = openApp(db.path, { readOnly: true });
    expect(await rt.query("app:all", {})).toEqual([{ name: "kept", n: 7 }]);
    const seen: unknown[] = [];
    const stop = rt.subscribe("app:byName", { name: "kept" }, (r) => seen.push(r));
    await new Promise((r) => setTimeout(r, 50));
    stop();
    expect(seen).toHaveLength(1);
    expect(rt.adminToken).toBeUndefined();
    await rt.close();

    expect(hash(db.path)).toBe(withoutToken);
    expect(mode(db.path).toString(8)).toBe("644"); // read-only opens never chmod
    const check = new DatabaseSync(db.path, { readOnly: true });
    expect((check.prepare("SELECT COUNT(*) AS n FROM _lease").get() as { n: number }).n).toBe(0);
    expect((check.prepare("SELECT COUNT(*) AS n FROM _env").get() as { n: number }).n).toBe(0);
    check.close();
  });

  it("a mutation fails with a clear error and writes nothing", async () => {
    const before = await populated();
    const rt = openApp(db.path, { readOnly: true });
    await expect(rt.mutation("app:add", { name: "x", n: 1 })).rejects.toThrow(/app:add: the state file .* is open read-only \(this command only reads it\); nothing was written/);
    await expect(rt.setEnv("X", "1")).rejects.toThrow(/open read-only/);
    expect(await rt.query("app:all", {})).toHaveLength(1);
    await rt.close();
    expect(hash(db.path)).toBe(before);
  });

  it("no migration: a table the file lacks reads as empty, an index it lacks fails only the queries that use it", async () => {
    // The file as an older version wrote it: items without the by_tag_n index, no counters table.
    const older = defineSchema({
      items: defineTable({ name: v.string(), n: v.number(), tag: v.optional(v.any()) }).index("by_name", ["name"]),
      log: defineTable({ msg: v.string(), at: v.number() }),
    }) as unknown as SchemaLike;
    const old = openApp(db.path, { schema: older });
    await old.mutation("app:add", { name: "kept", n: 7 });
    await old.close();
    const before = hash(db.path);

    const rt = openApp(db.path, { readOnly: true });
    expect(await rt.query("app:byName", { name: "kept" })).toHaveLength(1);
    expect(await rt.query("app:counter", { name: "c" })).toBe(0);
    await expect(rt.query("app:tagRange", {})).rejects.toThrow(/last written by an older version: index items\.by_tag_n is missing; open it once with write access/);
    await rt.close();
    expect(hash(db.path)).toBe(before);

    // A writable open upgrades it, as before.
    const rw = openApp(db.path);
    expect(await rw.query("app:tagRange", {})).toEqual([null]);
    await rw.close();
  });

  it("an empty file reads as an empty state; a foreign SQLite file is refused", async () => {
    writeFileSync(db.path, "");
    const rt = openApp(db.path, { readOnly: true });
    expect(await rt.query("app:all", {})).toEqual([]);
    await rt.close();
    expect(statSync(db.path).size).toBe(0);

    const foreign = path.join(path.dirname(db.path), "foreign.db");
    const raw = new DatabaseSync(foreign);
    raw.exec("CREATE TABLE photos (id INTEGER)");
    raw.close();
    expect(() => openApp(foreign, { readOnly: true })).toThrow(/not a compile-daemon state file/);
  });

  it("openBackend readOnly refuses a missing file and runs the app's queries on an existing one", async () => {
    await expect(openBackend({ dbPath: db.path, convexUrl: "", readOnly: true })).rejects.toBeInstanceOf(StateFileError);
    expect(existsSync(db.path)).toBe(false);
    const rw = await openBackend({ dbPath: db.path, convexUrl: "", runCrons: false, runScheduler: false });
    await rw.close();
    const ro = await openBackend({ dbPath: db.path, convexUrl: "", readOnly: true });
    expect((await ro.query(api.daemon.replay.state, {})).position).toBe(0);
    await expect(ro.mutation(api.daemon.control.pause, {})).rejects.toThrow(/open read-only/);
    await ro.close();
  });
});

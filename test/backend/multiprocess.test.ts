import { afterEach, describe, expect, it } from "vitest";
import { openApp, cronsEvery, tempDb } from "./fixtures/open.js";
import { exited, spawnChild, waitForLine } from "./fixtures/spawn.js";
import type { ChildProcess } from "node:child_process";

const children: ChildProcess[] = [];
const dbs: { cleanup: () => void }[] = [];

function db(): string {
  const d = tempDb();
  dbs.push(d);
  return d.path;
}

function child(args: string[]): ChildProcess {
  const c = spawnChild(args);
  children.push(c);
  return c;
}

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill("SIGKILL");
  for (const d of dbs.splice(0)) d.cleanup();
});

describe("embedded runtime across processes sharing one file", () => {
  it("a second process's mutation reaches a subscriber in the first", async () => {
    const path = db();
    const rt = openApp(path);
    const seen: string[][] = [];
    let resolveNext: () => void = () => undefined;
    const unsubscribe = rt.subscribe("app:byName", { name: "remote" }, (r) => {
      seen.push((r as { name: string }[]).map((d) => d.name));
      resolveNext();
    });
    await new Promise<void>((r) => (resolveNext = r));
    expect(seen).toEqual([[]]);
    const changed = new Promise<void>((r) => (resolveNext = r));
    const c = child(["add", path, "remote"]);
    expect(await exited(c)).toBe(0);
    await changed;
    expect(seen).toEqual([[], ["remote"]]);
    unsubscribe();
    await rt.close();
  });

  it("a subscriber that slowed its polling on a quiet file still sees the next commit of another process", async () => {
    const path = db();
    const rt = openApp(path, { pollMs: 5 }); // quiet after 40 polls: ~200 ms
    const seen: string[][] = [];
    const unsubscribe = rt.subscribe("app:byName", { name: "later" }, (r) => seen.push((r as { name: string }[]).map((d) => d.name)));
    await new Promise((r) => setTimeout(r, 600)); // long enough to have slowed down (not a timing assertion)
    const c = child(["add", path, "later"]);
    expect(await exited(c)).toBe(0);
    await expect.poll(() => seen, { timeout: 30_000 }).toEqual([[], ["later"]]);
    unsubscribe();
    await rt.close();
  });

  it("two processes incrementing one counter concurrently lose no update", async () => {
    const path = db();
    openApp(path).close(); // create the file before both children race to open it
    const a = child(["increment", path, "c", "150"]);
    const b = child(["increment", path, "c", "150"]);
    expect(await exited(a)).toBe(0);
    expect(await exited(b)).toBe(0);
    const rt = openApp(path);
    expect(await rt.query("app:counter", { name: "c" })).toBe(300);
    await rt.close();
  });

  it("kill -9 in the middle of a batch mutation leaves that batch all or nothing", async () => {
    const path = db();
    openApp(path).close();
    const c = child(["batches", path, "4000"]);
    await waitForLine(c, "batch", 3);
    await new Promise((r) => setTimeout(r, 15));
    c.kill("SIGKILL");
    await exited(c);
    const rt = openApp(path);
    const items = ((await rt.query("app:all", {})) as unknown[]).length;
    const counted = await rt.query("app:counter", { name: "items" });
    expect(items % 4000).toBe(0);
    expect(counted).toBe(items);
    expect(items).toBeGreaterThanOrEqual(8000);
    await rt.close();
  });

  it("the scheduler lease moves to another process after its holder is killed", async () => {
    const path = db();
    openApp(path).close();
    const holder = child(["lease", path]);
    await waitForLine(holder, "leader");
    const rt = openApp(path, { runCrons: true, crons: cronsEvery(100), tickMs: 20, leaseMs: 1500 });
    const ran = Date.now() + 5000;
    while (((await rt.query("app:counter", { name: "cron" })) as number) === 0 && Date.now() < ran) await new Promise((r) => setTimeout(r, 20));
    expect(await rt.query("app:counter", { name: "cron" })).toBeGreaterThan(0); // the holder's cron ran
    expect(rt.isSchedulerLeader()).toBe(false);
    holder.kill("SIGKILL");
    await exited(holder);
    const deadline = Date.now() + 5000;
    while (!rt.isSchedulerLeader() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(rt.isSchedulerLeader()).toBe(true);
    const taken = (await rt.query("app:counter", { name: "cron" })) as number;
    await new Promise((r) => setTimeout(r, 400));
    expect((await rt.query("app:counter", { name: "cron" })) as number).toBeGreaterThan(taken);
    await rt.close();
  });
});

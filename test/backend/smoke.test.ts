import { describe, expect, it } from "vitest";
import { openApp, tempDb } from "./fixtures/open.js";

describe("embedded runtime basics", () => {
  const db = tempDb();

  it("inserts, reads by index, counts", async () => {
    const rt = openApp(db.path);
    const id = await rt.mutation("app:add", { name: "a", n: 1 });
    expect(typeof id).toBe("string");
    await rt.mutation("app:add", { name: "b", n: 2 });
    const rows = (await rt.query("app:byName", { name: "a" })) as { _id: string; n: number }[];
    expect(rows.map((r) => r._id)).toEqual([id]);
    expect(await rt.mutation("app:increment", { name: "x" })).toBe(1);
    expect(await rt.mutation("app:increment", { name: "x" })).toBe(2);
    expect(await rt.query("app:counter", { name: "x" })).toBe(2);
    await rt.close();
    db.cleanup();
  });
});

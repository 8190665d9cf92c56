import { describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { openEmbeddedRuntime } from "../../src/backend/embedded/runtime.js";
import { readSchema, type SchemaLike } from "../../src/backend/embedded/schema.js";
import { Store } from "../../src/backend/embedded/store.js";
import { hasValidChecksum } from "../../src/backend/embedded/ids.js";
import * as app from "./app.js";
import { defineFidelitySuite, type FidelityFactory } from "./suite.js";

const modules = { app: app as unknown as Record<string, unknown> };

/** Each backend gets its own state file in a fresh folder, removed on close (or when opening fails). */
const embeddedFactory: FidelityFactory = async (schema = app.schema) => {
  const dir = mkdtempSync(path.join(tmpdir(), "fidelity-"));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  try {
    const rt = openEmbeddedRuntime({
      path: path.join(dir, "state.db"),
      schema: schema as unknown as SchemaLike,
      modules,
      runCrons: false,
      runScheduler: false,
    });
    return {
      query: (name, args) => rt.query(name, args, { allowInternal: true }),
      mutation: (name, args) => rt.mutation(name, args, { allowInternal: true }),
      close: async () => {
        await rt.close();
        cleanup();
      },
    };
  } catch (e) {
    cleanup();
    throw e;
  }
};

defineFidelitySuite("embedded", embeddedFactory);

describe("Convex fidelity: embedded only", () => {
  // State files written before ids carried a checksum hold ids without one; normalizeId must keep
  // accepting those that name a document, while an altered id (which names none) stays refused.
  it("db.normalizeId accepts an id minted before ids had a checksum when its document exists", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "fidelity-"));
    const file = path.join(dir, "state.db");
    try {
      const store = new Store(file, readSchema(app.schema as unknown as SchemaLike).specs);
      const fresh = store.newId("items", 1000);
      const legacy = fresh.slice(0, -1) + (fresh.endsWith("a") ? "b" : "a");
      store.transaction(() => store.put("items", { name: "old", n: 1, _id: legacy, _creationTime: 1000 }));
      store.close();
      const rt = openEmbeddedRuntime({ path: file, schema: app.schema as unknown as SchemaLike, modules, runCrons: false, runScheduler: false });
      try {
        expect(await rt.query("app:normalize", { table: "items", id: legacy })).toBe(legacy);
        const altered = [..."0123456789"].map((c) => legacy.slice(0, -1) + c).find((id) => id !== legacy && !hasValidChecksum(id));
        expect(await rt.query("app:normalize", { table: "items", id: altered })).toBeNull();
        expect(await rt.query("app:getItem", { id: legacy })).toMatchObject({ name: "old" });
      } finally {
        await rt.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { api } from "../../convex/_generated/api.js";
import type { BackendClient } from "../backend/client.js";

export interface SeedTrace {
  /** Identifies the trace by content, so the replay source never holds it twice. */
  key: string;
  bucket: string;
  input: unknown;
  output: unknown;
  model: string;
  latencyMs: number;
  tokensIn: number;
  tokensOut: number;
  ts: number;
}

const BATCH = 500;

/** Parses a traces JSONL file; a bad line is reported with its number and nothing is loaded. */
export async function readSeedFile(file: string): Promise<SeedTrace[]> {
  const text = await readFile(file, "utf8").catch((e: NodeJS.ErrnoException) => {
    throw new SeedFileError(`cannot read ${file}: ${e.code === "ENOENT" ? "no such file" : e.message}`);
  });
  const traces: SeedTrace[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    let t: Record<string, unknown>;
    try {
      t = JSON.parse(line) as Record<string, unknown>;
    } catch {
      throw new SeedFileError(`${file}:${i + 1}: not valid JSON`);
    }
    for (const field of ["bucket", "model"] as const) {
      if (typeof t[field] !== "string") throw new SeedFileError(`${file}:${i + 1}: "${field}" must be a string`);
    }
    for (const field of ["latencyMs", "tokensIn", "tokensOut"] as const) {
      if (typeof t[field] !== "number") throw new SeedFileError(`${file}:${i + 1}: "${field}" must be a number`);
    }
    // The trace format records `ts` as an ISO time; epoch milliseconds are accepted too.
    const ts = typeof t.ts === "number" ? t.ts : typeof t.ts === "string" ? Date.parse(t.ts) : NaN;
    if (!Number.isFinite(ts)) throw new SeedFileError(`${file}:${i + 1}: "ts" must be an ISO time or epoch milliseconds`);
    if (!("input" in t) || !("output" in t)) throw new SeedFileError(`${file}:${i + 1}: "input" and "output" are required`);
    traces.push({
      key: contentKey(t.bucket, t.input, t.output, t.model, ts),
      bucket: t.bucket as string,
      input: t.input,
      output: t.output,
      model: t.model as string,
      latencyMs: t.latencyMs as number,
      tokensIn: t.tokensIn as number,
      tokensOut: t.tokensOut as number,
      ts,
    });
  }
  return traces;
}

function contentKey(...parts: unknown[]): string {
  return createHash("sha256").update(JSON.stringify(parts)).digest("hex").slice(0, 32);
}

export class SeedFileError extends Error {
  override name = "SeedFileError";
}

/**
 * Appends a file's traces to the replay source, in file order. Idempotent: the backend skips a
 * trace whose content key it already holds, so loading a file twice (or an overlapping one) adds
 * only what is new.
 */
export async function loadSeed(client: BackendClient, traces: SeedTrace[]): Promise<{ inserted: number; skipped: number; total: number }> {
  let inserted = 0;
  let skipped = 0;
  let total = 0;
  for (let i = 0; i < traces.length; i += BATCH) {
    const r = await client.mutation(api.daemon.replay.loadSeed, {
      adminToken: client.adminToken ?? "",
      traces: traces.slice(i, i + BATCH),
    });
    inserted += r.inserted;
    skipped += r.skipped;
    total = r.total;
  }
  return { inserted, skipped, total };
}

import { v } from "convex/values";
import type { Infer } from "convex/values";
import { query } from "../_generated/server.js";
import type { MutationCtx } from "../_generated/server.js";
import type { Id } from "../_generated/dataModel.js";
import { vaultEntryFields } from "../schema.js";
import { adminMutation } from "../lib/adminMutation.js";
import { userError } from "../lib/errors.js";
import { checkInt } from "../lib/validate.js";

/** What the pipeline hands to compiles.complete: the vault fields it computed. */
export const vaultEntryValidator = v.object(vaultEntryFields);
export type VaultEntryInput = Infer<typeof vaultEntryValidator>;

/**
 * Writes the entry for (bucket, sha), replacing the existing one: a retried or re-run job must leave
 * one live entry per (bucket, sha), because that entry is what suppresses further VOLUME fires. The
 * exception is a demoted entry (TRIGGER:DRIFT): it stays as the record of why it went, and the
 * recompile's result is a new entry beside it, the newest of (bucket, sha), which the runtime then
 * serves (runtime.serving). A replaced entry keeps its drift test only when its code did not change.
 */
export async function writeVaultEntry(
  ctx: MutationCtx,
  key: { bucket: string; sha: string; jobId?: Id<"pending_compiles"> },
  entry: VaultEntryInput,
): Promise<Id<"vault_index">> {
  const doc = { ...entry, bucket: key.bucket, sha: key.sha, jobId: key.jobId, writtenAt: Date.now() };
  const existing = await ctx.db
    .query("vault_index")
    .withIndex("by_bucket_sha", (q) => q.eq("bucket", key.bucket).eq("sha", key.sha))
    .order("desc")
    .first();
  if (existing !== null && existing.status !== "demoted") {
    // publishedAt is dropped: the new content has not been published yet.
    const drift = existing.code === entry.code ? existing.drift : undefined;
    await ctx.db.replace(existing._id, drift === undefined ? doc : { ...doc, drift });
    return existing._id;
  }
  return await ctx.db.insert("vault_index", doc);
}

/** Newest entries first (by first write), at most 200. */
export const list = query({
  args: { limit: v.optional(v.number()) },
  handler: async (ctx, { limit }) => {
    const n = checkInt(limit ?? 200, "limit", 1, 200);
    return await ctx.db.query("vault_index").withIndex("by_creation_time").order("desc").take(n);
  },
});

/** The newest entry of a bucket, or null. */
export const get = query({
  args: { bucket: v.string() },
  handler: async (ctx, { bucket }) => {
    return await ctx.db
      .query("vault_index")
      .withIndex("by_bucket", (q) => q.eq("bucket", bucket))
      .order("desc")
      .first();
  },
});

/** Entries the Nia sink has not accepted yet, oldest first, so a retry loop drains them in order. */
export const unpublished = query({
  args: { limit: v.optional(v.number()) },
  handler: async (ctx, { limit }) => {
    const n = checkInt(limit ?? 50, "limit", 1, 200);
    return await ctx.db
      .query("vault_index")
      .withIndex("by_publishedAt", (q) => q.eq("publishedAt", undefined))
      .take(n);
  },
});

export const markPublished = adminMutation({
  args: { vaultId: v.id("vault_index") },
  handler: async (ctx, { vaultId }) => {
    const entry = await ctx.db.get(vaultId);
    if (entry === null) throw userError(`vault entry ${vaultId} does not exist`);
    // Idempotent: a sink that retries after a lost reply keeps the first publish time.
    if (entry.publishedAt === undefined) await ctx.db.patch(vaultId, { publishedAt: Date.now() });
    return null;
  },
});

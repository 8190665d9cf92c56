import type { QueryCtx } from "../_generated/server.js";
import { INITIAL_SHA } from "../lib/sha.js";

/** The agent's code SHA the daemon last reported (or bump-sha set); vault entries and jobs are per SHA. */
export async function currentSha(ctx: QueryCtx): Promise<string> {
  const row = await ctx.db.query("code_state").first();
  return row?.sha ?? INITIAL_SHA;
}

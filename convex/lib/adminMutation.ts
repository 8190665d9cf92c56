import { customMutation } from "convex-helpers/server/customFunctions";
import { v } from "convex/values";
import { mutation } from "../_generated/server.js";
import { requireAdmin } from "./auth.js";

/**
 * Every public state-changing function is built with this: it takes `adminToken` as an argument,
 * checks it before the handler runs, and hands the handler its arguments without it. Clients add
 * the token themselves (BackendClient.mutation), so no call site threads it by hand; a test keeps
 * plain `mutation(` out of convex/daemon.
 */
export const adminMutation = customMutation(mutation, {
  args: { adminToken: v.string() },
  input: async (_ctx, { adminToken }) => {
    requireAdmin(adminToken);
    return { ctx: {}, args: {} };
  },
});

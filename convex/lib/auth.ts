import { userError } from "./errors.js";

export const ADMIN_TOKEN_UNSET =
  "COMPILE_ADMIN_TOKEN is not set on this deployment: run `npx convex env set COMPILE_ADMIN_TOKEN <token>`";
export const ADMIN_TOKEN_WRONG = "unauthorized: wrong admin token";

/**
 * The one guard of every public state-changing mutation: a Convex URL is public, so anyone who has it
 * could otherwise pause, reset or poison the queue. Read at call time because `npx convex env set`
 * changes the environment without a redeploy.
 */
export function requireAdmin(adminToken: string | undefined): void {
  const expected = process.env.COMPILE_ADMIN_TOKEN;
  if (expected === undefined || expected === "") throw userError(ADMIN_TOKEN_UNSET);
  if (typeof adminToken !== "string" || !constantTimeEqual(adminToken, expected)) {
    throw userError(ADMIN_TOKEN_WRONG);
  }
}

// No node:crypto in the Convex runtime; compare every character so timing does not leak a prefix.
function constantTimeEqual(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) diff |= (a.charCodeAt(i) | 0) ^ (b.charCodeAt(i) | 0);
  return diff === 0;
}

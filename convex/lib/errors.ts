import { ConvexError } from "convex/values";

/**
 * Every refusal the functions raise is a ConvexError carrying a one-line string: on a production
 * deployment plain Error messages are redacted to "Server Error", ConvexError data is not, and the
 * CLI/TUI print that line as the reason.
 */
export function userError(message: string): ConvexError<string> {
  return new ConvexError(message);
}

/** The one-line reason of any error thrown by a Convex function, as a client should print it. */
export function errorLine(err: unknown): string {
  if (err instanceof ConvexError && typeof err.data === "string") return err.data;
  if (err instanceof Error) return err.message.split("\n")[0];
  return String(err);
}

/**
 * The one way from src/ into Convex (DESIGN §1): function references and the client-side types of
 * the `convex` package. tui, runtime and worker import these from here, never from convex/ itself,
 * so a change of the backend's surface shows up in one file (and a test keeps it so).
 */
export { api } from "../../convex/_generated/api.js";
export type { Doc, Id } from "../../convex/_generated/dataModel.js";
export { getFunctionName } from "convex/server";
export type { FunctionArgs, FunctionReference, FunctionReturnType } from "convex/server";

import { jsonToConvex, type Value } from "convex/values";
import { validateValue, type TableOfId, type ValidatorJson } from "./validate.js";

/** What convex/server's queryGeneric/mutationGeneric/actionGeneric attach to a registered function. */
export interface RegisteredFunction {
  isQuery?: boolean;
  isMutation?: boolean;
  isAction?: boolean;
  isInternal?: boolean;
  isPublic?: boolean;
  invokeQuery?: (argsJson: string) => Promise<string>;
  invokeMutation?: (argsJson: string) => Promise<string>;
  exportArgs: () => string;
  exportReturns: () => string;
}

export type FunctionKind = "query" | "mutation";
export type ModuleMap = Record<string, Record<string, unknown>>;

export class UnsupportedFeatureError extends Error {
  override name = "UnsupportedFeatureError";
  constructor(feature: string) {
    super(`${feature} is not supported by the embedded Convex runtime (set CONVEX_URL to use a real Convex deployment)`);
  }
}

export interface Resolved {
  name: string;
  fn: RegisteredFunction;
  kind: FunctionKind;
  args: ValidatorJson;
  returns: ValidatorJson | null;
}

const cache = new WeakMap<object, Map<string, Resolved>>();

/** Resolves "daemon/replay:tick" against the module map; `expected` "any" accepts queries and mutations. */
export function resolveFunction(modules: ModuleMap, name: string, expected: FunctionKind | "any", allowInternal: boolean): Resolved {
  let perMap = cache.get(modules);
  if (!perMap) cache.set(modules, (perMap = new Map()));
  let r = perMap.get(name);
  if (!r) {
    const [modulePath, exportName = "default"] = name.split(":");
    const mod = modules[modulePath.replace(/\.js$/, "")];
    if (!mod) throw new Error(`Could not find module "${modulePath}" for function "${name}"`);
    const fn = mod[exportName] as RegisteredFunction | undefined;
    if (!fn || typeof (fn as unknown) !== "function") throw new Error(`Could not find function "${name}": module "${modulePath}" has no export "${exportName}"`);
    if (fn.isAction) throw new UnsupportedFeatureError(`Actions ("${name}")`);
    if (!fn.isQuery && !fn.isMutation) throw new Error(`"${name}" is not a Convex query or mutation`);
    r = {
      name,
      fn,
      kind: fn.isQuery ? "query" : "mutation",
      args: JSON.parse(fn.exportArgs()) as ValidatorJson,
      returns: JSON.parse(fn.exportReturns()) as ValidatorJson | null,
    };
    perMap.set(name, r);
  }
  if (expected !== "any" && r.kind !== expected) throw new Error(`"${name}" is a ${r.kind}, not a ${expected}`);
  if (r.fn.isInternal && !allowInternal)
    throw new Error(`Could not find public function for "${name}": it is internal and cannot be called from a client`);
  return r;
}

export function validateArgs(r: Resolved, args: Value, tableOfId: TableOfId): void {
  try {
    validateValue(r.args, args, tableOfId);
  } catch (e) {
    throw new Error(`ArgumentValidationError: invalid arguments for "${r.name}": ${(e as Error).message}`);
  }
}

export function validateReturns(r: Resolved, result: Value, tableOfId: TableOfId): void {
  if (r.returns === null) return;
  try {
    validateValue(r.returns, result, tableOfId);
  } catch (e) {
    // Convex's wording after the error's name, which clients (and this project's tests) match on.
    throw new Error(`ReturnsValidationError: Return value validation failed for ${r.kind} "${r.name}":\n${(e as Error).message}`);
  }
}

/** invokeFunction serialises ConvexError.data to a JSON string; clients see the original value, as on real Convex. */
const restored = new WeakSet<object>();

export function restoreConvexError(e: unknown): unknown {
  if (typeof e === "object" && e !== null && Symbol.for("ConvexError") in e && !restored.has(e)) {
    restored.add(e);
    const err = e as { data: unknown };
    if (typeof err.data === "string") {
      try {
        err.data = jsonToConvex(JSON.parse(err.data));
      } catch {
        // already a plain string payload
      }
    }
  }
  return e;
}

import vm from "node:vm";
import { checkCode, codeHash } from "../compiler/codeCheck.js";

/** A compiled function as the runtime calls it: `undefined` means "ask the model". */
export type CompiledFunction = (input: unknown) => unknown;

/** Why stored code was not loaded (the entry is then never served). */
export class UnloadableCode extends Error {}

/**
 * Loads a vault entry's code once, for many calls. Vault code is treated as hostile even though it
 * passed the gate when it was written: its hash must match the one stored with it (an edited state
 * file is refused), it must pass the code check again (a positive grammar: no globals, no
 * unbounded loops, no recursion, so every call ends), and it runs in its own realm with no code
 * generation from strings, so it reaches nothing of this process but the input it is handed.
 */
export function loadFunction(code: string, expectedHash: string): CompiledFunction {
  if (codeHash(code) !== expectedHash) throw new UnloadableCode("the code does not match its stored hash (edited after it was verified?)");
  const check = checkCode(code);
  if (!check.ok) throw new UnloadableCode(`the code fails the code check: ${check.reasons[0]}`);
  const context = vm.createContext(Object.create(null), { codeGeneration: { strings: false, wasm: false } });
  // The module's one export becomes a plain declaration of the realm (the grammar allows nothing else to run on load).
  vm.runInContext(code.replace(/^export default (?=function compiled\b)/m, ""), context, { timeout: 1000, filename: "compiled.js" });
  const fn: unknown = context.compiled;
  if (typeof fn !== "function") throw new UnloadableCode("the code defines no compiled(input) function");
  return fn as CompiledFunction;
}

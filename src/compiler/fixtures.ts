import { readFile } from "node:fs/promises";
import { join } from "node:path";
import ts from "typescript";
import { NOT_STATIC, staticValue, topLevelConsts } from "./staticValue.js";

/**
 * The agent's own example inputs for one call site, read statically from `fixtures.ts`
 * (`export const fixtures = { <call name>: [ ...inputs ] }`). Never executes the agent.
 * Returns [] when the file or the call site's list is missing.
 */
export async function loadFixtures(agentDir: string, name: string): Promise<unknown[]> {
  let text: string;
  try {
    text = await readFile(join(agentDir, "fixtures.ts"), "utf8");
  } catch {
    return [];
  }
  const source = ts.createSourceFile("fixtures.ts", text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const consts = topLevelConsts(source);
  const declaration = consts.get("fixtures");
  if (!declaration) return [];
  const all = staticValue(declaration, consts);
  if (all === NOT_STATIC || typeof all !== "object" || all === null) return [];
  const list = (all as Record<string, unknown>)[name];
  return Array.isArray(list) ? list : [];
}

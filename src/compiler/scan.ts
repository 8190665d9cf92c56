import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import ts from "typescript";
import { NOT_STATIC, propertyKey, staticValue, topLevelConsts } from "./staticValue.js";
import { hashFile, listFiles } from "./treeSha.js";
import type { CallSite } from "./types.js";

const DEFINE_CALL = "defineCall";

/**
 * Stage 1: finds the agent's call sites with the TypeScript compiler API and hashes the tree.
 * The SHA covers every file's path and bytes in sorted order, so it is stable across runs and
 * machines and changes exactly when the code does.
 */
export async function scanRepo(dir: string): Promise<{ sha: string; callSites: CallSite[] }> {
  const files = await listFiles(dir);
  const hash = createHash("sha256");
  const callSites: CallSite[] = [];
  for (const file of files) {
    const bytes = await readFile(join(dir, file));
    hashFile(hash, file, bytes);
    if (/\.(ts|tsx|mts|cts)$/.test(file) && !file.endsWith(".d.ts")) {
      callSites.push(...findCallSites(file, bytes.toString("utf8")));
    }
  }
  const prefix = agentPrefix(dir);
  for (const site of callSites) site.bucket = `${prefix}:${site.name}:v${site.version}`;
  callSites.sort((a, b) => a.bucket.localeCompare(b.bucket));
  return { sha: hash.digest("hex"), callSites };
}

/** Buckets are `<agent>:<name>:v<version>`; the agent is the directory name without "-agent" (acme-agent -> acme). */
export function agentPrefix(dir: string): string {
  return basename(resolve(dir)).replace(/-agent$/, "") || "agent";
}

/** Call sites in one source file: `defineCall({...})`, possibly with type arguments. */
export function findCallSites(file: string, text: string): CallSite[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const consts = topLevelConsts(source);
  const found: CallSite[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === DEFINE_CALL) {
      const site = readCallSite(node, consts, file, source);
      if (site) found.push(site);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function readCallSite(call: ts.CallExpression, consts: ReadonlyMap<string, ts.Expression>, file: string, source: ts.SourceFile): CallSite | null {
  const [arg] = call.arguments;
  if (!arg) return null;
  // The spec may be inline or a const declared in the same file.
  const spec = ts.isIdentifier(arg) ? consts.get(arg.text) : arg;
  if (!spec || !ts.isObjectLiteralExpression(spec)) return null;
  const fields = new Map<string, unknown>();
  for (const property of spec.properties) {
    if (ts.isPropertyAssignment(property)) {
      const key = propertyKey(property.name);
      if (key) fields.set(key, staticValue(property.initializer, consts));
    } else if (ts.isShorthandPropertyAssignment(property)) {
      fields.set(property.name.text, staticValue(property.name, consts));
    }
  }
  const name = fields.get("name");
  const version = fields.get("version");
  const input = fields.get("input");
  const output = fields.get("output");
  const prompt = fields.get("prompt");
  if (typeof name !== "string" || typeof version !== "number") return null;
  const isSchema = (value: unknown): value is object => value !== NOT_STATIC && typeof value === "object" && value !== null;
  const { line } = source.getLineAndCharacterOfPosition(call.getStart(source));
  return {
    name,
    version,
    bucket: `acme:${name}:v${version}`,
    inputSchema: isSchema(input) ? input : {},
    outputSchema: isSchema(output) ? output : {},
    prompt: typeof prompt === "string" ? prompt : "",
    file,
    line: line + 1,
  };
}

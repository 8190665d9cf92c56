import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

/**
 * DESIGN §1's dependency rule, checked on the import statements of every source file:
 * tui -> contract|backend, runtime -> contract|backend, worker -> contract|backend|compiler|runtime,
 * commands -> anything, contract -> convex/_generated|convex/lib, compiler -> nothing of ours,
 * convex/ -> only convex/ (and without cycles). tui, runtime and worker reach the `convex`
 * package only through src/contract.
 */
const ROOT = path.resolve(import.meta.dirname, "../..");

/** Where each layer may import from (besides itself and npm packages). */
const ALLOWED: Record<string, readonly string[]> = {
  tui: ["contract", "backend"],
  // The runtime re-checks stored code with the compiler's code check before it loads it (the one
  // pure module of the compiler it may use): it treats vault code as hostile, like `vault export`.
  runtime: ["contract", "backend", "compiler/codeCheck"],
  worker: ["contract", "backend", "compiler", "runtime"],
  contract: ["convex/_generated", "convex/lib"],
  compiler: [],
  backend: ["contract", "convex"],
  convex: ["convex"],
};
/** Layers that must reach the `convex` npm package through src/contract. */
const THROUGH_CONTRACT = new Set(["tui", "runtime", "worker"]);

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) out.push(...sourceFiles(full));
    else if (/\.(ts|tsx)$/.test(name) && !name.endsWith(".d.ts")) out.push(full);
  }
  return out;
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specs = new Set<string>();
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+"([^"]+)"/g)) specs.add(m[1]);
  for (const m of text.matchAll(/(?:^|\n)\s*import\s+"([^"]+)"/g)) specs.add(m[1]);
  for (const m of text.matchAll(/\bimport\(\s*"([^"]+)"\s*\)/g)) specs.add(m[1]);
  return [...specs];
}

/** "tui", "compiler", "convex/lib", ... for a file of ours; undefined for anything else. */
function layerOf(rel: string): string | undefined {
  const parts = rel.split("/");
  if (parts[0] === "src" && parts.length > 2) return parts[1];
  if (parts[0] === "convex") return parts[1] === "_generated" || parts[1] === "lib" ? `convex/${parts[1]}` : "convex";
  return undefined;
}

function allowed(from: string, toRel: string): boolean {
  const to = layerOf(toRel);
  if (to === from) return true;
  if (from === "convex") return toRel.startsWith("convex/");
  if (from === "convex/lib" || from === "convex/_generated") return toRel.startsWith("convex/");
  for (const target of ALLOWED[from] ?? []) {
    if (target === "convex" ? toRel.startsWith("convex/") : target.includes("/") ? toRel.replace(/\.tsx?$/, "").startsWith(`src/${target}`) || toRel.startsWith(target) : to === target) return true;
  }
  return false;
}

function resolve(file: string, spec: string): string {
  const abs = path.resolve(path.dirname(file), spec).replace(/\.js$/, "");
  for (const ext of [".ts", ".tsx", "/index.ts"]) {
    try {
      if (statSync(abs + ext).isFile()) return path.relative(ROOT, abs + ext).split(path.sep).join("/");
    } catch {
      // try the next extension
    }
  }
  return path.relative(ROOT, abs).split(path.sep).join("/");
}

const files = [...sourceFiles(path.join(ROOT, "src")), ...sourceFiles(path.join(ROOT, "convex"))];

describe("the dependency rule (DESIGN §1)", () => {
  it("every import of src/ and convex/ stays inside what its layer may use", () => {
    const broken: string[] = [];
    for (const file of files) {
      const rel = path.relative(ROOT, file).split(path.sep).join("/");
      const from = layerOf(rel);
      if (!from || from === "commands" || rel.startsWith("src/") && rel.split("/").length === 2) continue; // commands and the bin may use anything
      for (const spec of importsOf(file)) {
        if (spec.startsWith(".")) {
          const to = resolve(file, spec);
          if (!allowed(from, to)) broken.push(`${rel} imports ${to}`);
        } else if (THROUGH_CONTRACT.has(from) && (spec === "convex" || spec.startsWith("convex/"))) {
          broken.push(`${rel} imports the convex package (${spec}) directly, not through src/contract`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it("finds a forbidden import when there is one (the check itself works)", () => {
    expect(allowed("tui", "src/compiler/synthesize.ts")).toBe(false);
    expect(allowed("compiler", "convex/lib/traceRules.ts")).toBe(false);
    expect(allowed("contract", "src/backend/client.ts")).toBe(false);
    expect(allowed("worker", "src/tui/App.tsx")).toBe(false);
    expect(allowed("runtime", "src/compiler/synthesize.ts")).toBe(false);
    expect(allowed("runtime", "src/compiler/codeCheck.ts")).toBe(true);
    expect(allowed("tui", "src/contract/api.ts")).toBe(true);
  });

  it("convex/ has no import cycles", () => {
    const graph = new Map<string, string[]>();
    for (const file of files) {
      const rel = path.relative(ROOT, file).split(path.sep).join("/");
      if (!rel.startsWith("convex/")) continue;
      graph.set(rel, importsOf(file).filter((s) => s.startsWith(".")).map((s) => resolve(file, s)));
    }
    const cycles: string[] = [];
    const state = new Map<string, "open" | "done">();
    const visit = (node: string, trail: string[]): void => {
      if (state.get(node) === "done") return;
      if (state.get(node) === "open") {
        cycles.push([...trail.slice(trail.indexOf(node)), node].join(" -> "));
        return;
      }
      state.set(node, "open");
      for (const next of graph.get(node) ?? []) visit(next, [...trail, node]);
      state.set(node, "done");
    };
    for (const node of graph.keys()) visit(node, []);
    expect(cycles).toEqual([]);
  });

  it("every public mutation of convex/daemon is admin-guarded (built with adminMutation)", () => {
    const plain: string[] = [];
    for (const file of files) {
      const rel = path.relative(ROOT, file).split(path.sep).join("/");
      if (!rel.startsWith("convex/daemon/")) continue;
      for (const m of readFileSync(file, "utf8").matchAll(/export const (\w+) = (mutation|action|httpAction)\(/g)) plain.push(`${rel}: ${m[1]} is a plain ${m[2]}`);
    }
    expect(plain).toEqual([]);
  });
});

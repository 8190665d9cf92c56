import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join, relative, sep } from "node:path";

/** Recorded data and tooling, not the agent's code: a new trace must not look like a code change. */
const IGNORED_DIRS = new Set(["node_modules", "traces", ".git", "dist"]);

/** Every file of the agent tree (minus IGNORED_DIRS), as sorted relative paths with forward slashes. */
export async function listFiles(root: string, dir = root): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries) {
    if (entry.isDirectory()) {
      if (!IGNORED_DIRS.has(entry.name)) files.push(...(await listFiles(root, join(dir, entry.name))));
    } else if (entry.isFile()) {
      files.push(relative(root, join(dir, entry.name)).split(sep).join("/"));
    }
  }
  return files.sort();
}

/** Feeds one file into the tree hash: its path, its length, its bytes. */
export function hashFile(hash: ReturnType<typeof createHash>, file: string, bytes: Buffer): void {
  hash.update(`${file}\0${bytes.length}\0`);
  hash.update(bytes);
}

/**
 * The agent tree's content SHA without the TypeScript compiler: the code watch polls this, so an
 * idle daemon never has to keep the compiler in memory. Equal to scanRepo's `sha`.
 */
export async function treeSha(dir: string): Promise<string> {
  const hash = createHash("sha256");
  for (const file of await listFiles(dir)) hashFile(hash, file, await readFile(join(dir, file)));
  return hash.digest("hex");
}

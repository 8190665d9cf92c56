// tsc emits only what it compiles; convex/_generated ships plain .js beside its .d.ts, so copy it into dist.
import { chmodSync, cpSync, mkdirSync, readdirSync } from "node:fs";
const from = "convex/_generated";
const to = "dist/convex/_generated";
mkdirSync(to, { recursive: true });
for (const f of readdirSync(from)) if (f.endsWith(".js")) cpSync(`${from}/${f}`, `${to}/${f}`);

// The bin is executable as built, not only when npm links it: a cached `npx` install of this folder
// (kept from an earlier clone at the same path) runs the freshly built file without linking it again.
chmodSync("dist/src/bin.js", 0o755);

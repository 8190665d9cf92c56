// tsc emits only what it compiles; convex/_generated ships plain .js beside its .d.ts, so copy it into dist.
import { cpSync, mkdirSync, readdirSync } from "node:fs";
const from = "convex/_generated";
const to = "dist/convex/_generated";
mkdirSync(to, { recursive: true });
for (const f of readdirSync(from)) if (f.endsWith(".js")) cpSync(`${from}/${f}`, `${to}/${f}`);

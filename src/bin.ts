#!/usr/bin/env node
// The `compile-daemon` entry point. It checks the Node version before anything imports
// node:sqlite, so an old Node gets one clear line instead of a loader stack trace.
const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 22)) {
  process.stderr.write(
    `compile-daemon: needs Node.js >= 22.22 (for node:sqlite); this is ${process.version}. Run it through npx or npm (after npm ci, they use the Node 24 it installs), or install Node 24 LTS.\n`,
  );
  process.exit(2);
}
// React (under ink) picks its build from NODE_ENV when first loaded; the development build costs
// the console several times the CPU and memory. Users get production unless they ask otherwise.
process.env.NODE_ENV ??= "production";
// Node's on-disk compile cache (Node >= 22.1, in the OS temp folder): later runs of the CLI skip
// compiling its modules again, which is most of a short command's start-up.
const { enableCompileCache } = await import("node:module");
enableCompileCache?.();
await import("./cli.js");

// npm links the bins of dependencies into node_modules/.bin, never the project's own. Without this
// link, `npx compile-daemon` in a fresh clone installs the project into npx's cache, building it a
// second time before the first start. With it, npx finds the built entry point at once.
import { chmodSync, existsSync, lstatSync, mkdirSync, symlinkSync, unlinkSync } from "node:fs";

const target = "../../dist/src/bin.js";
const link = "node_modules/.bin/compile-daemon";
if (!existsSync("dist/src/bin.js")) {
  console.error("link-bin: dist/src/bin.js is missing (run the build first)");
  process.exit(1);
}
chmodSync("dist/src/bin.js", 0o755);
mkdirSync("node_modules/.bin", { recursive: true });
try {
  if (lstatSync(link)) unlinkSync(link);
} catch {
  // no link yet
}
symlinkSync(target, link);

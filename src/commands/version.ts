import { createRequire } from "node:module";

// Read from package.json so `--version`, the BOOT row and the heartbeat agree.
const require = createRequire(import.meta.url);
function readVersion(): string {
  for (const rel of ["../../package.json", "../../../package.json"]) {
    try {
      return (require(rel) as { version: string }).version;
    } catch {
      // dist/ is one level deeper than src/: try the next candidate.
    }
  }
  return "0.0.0";
}
export const VERSION = readVersion();

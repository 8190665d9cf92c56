// `npm test` on an old Node would fail deep inside vitest; say what is wrong in one line instead.
const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 22)) {
  console.error(`compile-daemon needs Node.js >= 22.22 (node:sqlite); this is ${process.version}. npm ci brings Node 24 on Linux x64/arm64 and macOS x64 (npm scripts run on it); elsewhere install Node >= 22.22.`);
  process.exit(1);
}

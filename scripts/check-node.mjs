// `npm test` on an old Node would fail deep inside vitest; say what is wrong in one line instead.
const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 22)) {
  console.error(`compile-daemon needs Node.js >= 22.22 (node:sqlite); this is ${process.version}. .ci/run shows how to bring Node 24.`);
  process.exit(1);
}

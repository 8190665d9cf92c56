import type { Command } from "commander";
import { registerCompile } from "./compile.js";
import { registerCtl } from "./ctl.js";
import { registerRun } from "./run.js";
import { registerSavings } from "./savings.js";
import { registerSeed } from "./seed.js";
import { registerSmoke } from "./smoke.js";
import { registerTui } from "./tui.js";
import { registerVault } from "./vault.js";

/**
 * Every subcommand registers itself here; each lives in its own file. Registering must stay cheap:
 * every CLI call (even `--version`) loads these modules, so the heavy parts (the embedded runtime,
 * the worker, the console) are imported when a command runs, not here.
 */
export function registerCommands(program: Command): void {
  registerCompile(program);
  registerTui(program);
  registerRun(program);
  registerCtl(program);
  registerSeed(program);
  registerVault(program);
  registerSavings(program);
  registerSmoke(program);
}

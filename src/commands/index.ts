import type { Command } from "commander";
import { registerCompile } from "./compile.js";
import { registerTui } from "./tui.js";

/** Every subcommand registers itself here; each lives in its own file. */
export function registerCommands(program: Command): void {
  registerCompile(program);
  registerTui(program);
}

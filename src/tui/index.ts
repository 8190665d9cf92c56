export { App, type AppProps } from "./App.js";
export { runConsole, formatSummary, type ConsoleOptions, type ConsoleSummary, type ConsoleControls } from "./render.js";
export { UI_KEYS, hintsFor } from "./keymap.js";

import type { Key } from "ink";
import type { ControlAction } from "../contract/actions.js";

/**
 * The console's keymap: CONTROL_ACTIONS (shared with `ctl`) plus the UI-only keys below. One table
 * drives the handlers, the footer hints and the help overlay (k9s / lazygit style).
 */

export type Mode = "normal" | "filter" | "prompt" | "confirm" | "help" | "detail";

export type UiKeyId =
  | "help"
  | "quit"
  | "interrupt"
  | "focus-next"
  | "focus-prev"
  | "down"
  | "up"
  | "open"
  | "filter"
  | "clear-filter"
  | "back"
  | "accept"
  | "cancel"
  | "yes"
  | "no";

export interface UiKey {
  id: UiKeyId;
  /** How the key is written in hints and help. */
  keys: string;
  /** A word or two for the footer. */
  label: string;
  /** A sentence for the help overlay. */
  help: string;
  /** The modes in which the key does something; the footer shows a key only there. */
  modes: readonly Mode[];
  /** Hidden from the footer (still in the help overlay). */
  noHint?: boolean;
  /** How the footer writes it when that differs from keys/label (j/k share one hint). */
  hint?: Hint;
  match(input: string, key: Key): boolean;
}

const ALL_MODES: readonly Mode[] = ["normal", "filter", "prompt", "confirm", "help", "detail"];

export const UI_KEYS: readonly UiKey[] = [
  {
    id: "interrupt",
    keys: "ctrl-c",
    label: "quit",
    help: "quit, from anywhere (also while typing)",
    modes: ALL_MODES,
    noHint: true,
    match: (input, key) => key.ctrl && input === "c",
  },
  {
    id: "accept",
    keys: "enter",
    label: "done",
    help: "keep the filter / run the prompt",
    modes: ["filter", "prompt"],
    match: (_, key) => key.return,
  },
  {
    id: "clear-filter",
    keys: "esc",
    label: "clear filter",
    help: "clear the trigger filter",
    modes: ["normal", "filter"],
    match: (_, key) => key.escape,
  },
  {
    id: "cancel",
    keys: "esc",
    label: "cancel",
    help: "cancel the prompt",
    modes: ["prompt"],
    match: (_, key) => key.escape,
  },
  {
    id: "yes",
    keys: "y",
    label: "yes",
    help: "confirm",
    modes: ["confirm"],
    match: (input) => input === "y" || input === "Y",
  },
  {
    id: "no",
    keys: "n/enter/esc",
    label: "no (default)",
    help: "decline: any other key answers No",
    modes: ["confirm"],
    match: () => true,
  },
  {
    id: "back",
    keys: "esc",
    label: "back",
    help: "close the detail view or this help",
    modes: ["detail", "help"],
    match: (_, key) => key.escape || key.backspace || key.delete,
  },
  {
    id: "help",
    keys: "?",
    label: "help",
    help: "show / hide this help",
    modes: ["normal", "help", "detail"],
    match: (input) => input === "?",
  },
  {
    id: "quit",
    keys: "q",
    label: "quit",
    help: "quit the console (the worker stops with it)",
    modes: ["normal", "help", "detail"],
    match: (input) => input === "q",
  },
  {
    id: "focus-next",
    keys: "tab",
    label: "focus",
    help: "move focus to the next pane (buckets, triggers, vault)",
    modes: ["normal"],
    match: (_, key) => key.tab && !key.shift,
  },
  {
    id: "focus-prev",
    keys: "shift-tab",
    label: "focus back",
    help: "move focus to the previous pane",
    modes: ["normal"],
    noHint: true,
    match: (_, key) => key.tab && key.shift,
  },
  {
    id: "down",
    keys: "j/↓",
    label: "down",
    help: "select the next row (scroll in the detail view)",
    modes: ["normal", "detail", "help"],
    hint: { keys: "j/k", label: "select" },
    match: (input, key) => input === "j" || key.downArrow,
  },
  {
    id: "up",
    keys: "k/↑",
    label: "up",
    help: "select the previous row (scroll in the detail view)",
    modes: ["normal", "detail", "help"],
    noHint: true,
    match: (input, key) => input === "k" || key.upArrow,
  },
  {
    id: "open",
    keys: "enter",
    label: "open",
    help: "open the selected vault entry: code, scores, reasons, envelope",
    modes: ["normal"],
    match: (_, key) => key.return,
  },
  {
    id: "filter",
    keys: "/",
    label: "filter",
    help: "filter the trigger stream (kind, bucket or detail); esc clears",
    modes: ["normal"],
    match: (input) => input === "/",
  },
];

export type Binding = { kind: "ui"; key: UiKey } | { kind: "action"; action: ControlAction };

/** The binding a keypress selects in `mode`, or undefined. UI keys win over actions. */
export function resolveKey(
  mode: Mode,
  input: string,
  key: Key,
  actions: readonly ControlAction[],
): Binding | undefined {
  const ui = UI_KEYS.find((k) => k.modes.includes(mode) && k.match(input, key));
  if (ui) return { kind: "ui", key: ui };
  if (mode !== "normal" || key.ctrl || key.meta) return undefined;
  const action = actions.find((a) => a.key !== undefined && a.key === input);
  return action ? { kind: "action", action } : undefined;
}

export interface Hint {
  keys: string;
  label: string;
}

export interface Hints {
  /** The control actions (normal mode) or what the current prompt accepts. */
  primary: Hint[];
  /** Navigation. */
  secondary: Hint[];
}

/** Footer hints for `mode`, from the same tables the handlers use. */
export function hintsFor(mode: Mode, actions: readonly ControlAction[], opts: { filterActive?: boolean } = {}): Hints {
  const ui = UI_KEYS.filter((k) => k.modes.includes(mode) && !k.noHint)
    .filter((k) => k.id !== "clear-filter" || mode !== "normal" || opts.filterActive)
    .map((k) => k.hint ?? { keys: k.keys, label: k.label });
  if (mode !== "normal") return { primary: ui, secondary: [{ keys: "ctrl-c", label: "quit" }] };
  const primary = actions.filter((a) => a.key !== undefined).map((a) => ({ keys: a.key as string, label: a.label }));
  // Help and quit last on their line but never dropped: packHints keeps the tail.
  const tail = ui.filter((h) => h.label === "help" || h.label === "quit");
  return { primary, secondary: [...ui.filter((h) => !tail.includes(h)), ...tail] };
}

/**
 * Packs hints into `width` columns. What does not fit is dropped from the middle, never the
 * `keep` last ones (help and quit): the help overlay lists everything anyway.
 */
export function packHints(hints: readonly Hint[], width: number, keep = 0): string {
  const pieces = hints.map((h) => `${h.keys} ${h.label}`);
  const tail = keep > 0 ? pieces.slice(-keep) : [];
  const head = keep > 0 ? pieces.slice(0, -keep) : pieces;
  const len = (parts: string[]) => [...parts.join("  ")].length;
  const kept: string[] = [];
  for (const piece of head) {
    if (len([...kept, piece, ...tail]) > width) break;
    kept.push(piece);
  }
  return [...kept, ...tail].join("  ");
}

import { describe, expect, test } from "vitest";
import { bar, duration, fit, fitRight, verdictCounts, windowStart, wrapText } from "../../src/tui/format.js";
import { hintsFor, packHints, resolveKey, UI_KEYS } from "../../src/tui/keymap.js";
import { CONTROL_ACTIONS } from "../../src/contract/actions.js";
import type { Key } from "ink";

describe("format", () => {
  test("fit cuts with an ellipsis and pads on request", () => {
    expect(fit("abcdef", 4)).toBe("abc…");
    expect(fit("ab", 4, true)).toBe("ab  ");
    expect(fitRight("ab", 4)).toBe("  ab");
  });
  test("duration picks the two largest units", () => {
    expect(duration(3_400)).toBe("3s");
    expect(duration(125_000)).toBe("2m05s");
    expect(duration(3_723_000)).toBe("1h02m");
    expect(duration(-5)).toBe("0s");
  });
  test("bar fills in proportion and clamps", () => {
    expect(bar(0.5, 4)).toBe("██░░");
    expect(bar(2, 3)).toBe("███");
    expect(bar(Number.NaN, 2)).toBe("░░");
  });
  test("windowStart keeps the selection visible", () => {
    expect(windowStart(0, 5, 20)).toBe(0);
    expect(windowStart(7, 5, 20)).toBe(3);
    expect(windowStart(19, 5, 20)).toBe(15);
    expect(windowStart(3, 5, 4)).toBe(0);
  });
  test("wrapText breaks at spaces and indents continuations", () => {
    expect(wrapText("aaaa bbbb cccc dddd eeee ffff", 20, 2)).toEqual(["aaaa bbbb cccc dddd", "  eeee ffff"]);
  });
});

const key = (over: Partial<Key> = {}): Key =>
  ({ upArrow: false, downArrow: false, leftArrow: false, rightArrow: false, pageDown: false, pageUp: false, home: false, end: false, return: false, escape: false, ctrl: false, shift: false, tab: false, backspace: false, delete: false, meta: false, super: false, hyper: false, capsLock: false, numLock: false, ...over }) as Key;

describe("keymap", () => {
  test("every console key of CONTROL_ACTIONS resolves to its action in normal mode only", () => {
    for (const a of CONTROL_ACTIONS.filter((x) => x.key)) {
      expect(resolveKey("normal", a.key!, key(), CONTROL_ACTIONS)).toEqual({ kind: "action", action: a });
      expect(resolveKey("filter", a.key!, key(), CONTROL_ACTIONS)).toBeUndefined();
    }
  });
  test("no UI key shadows an action key", () => {
    for (const a of CONTROL_ACTIONS.filter((x) => x.key)) {
      expect(UI_KEYS.some((k) => k.modes.includes("normal") && k.match(a.key!, key())), a.key).toBe(false);
    }
  });
  test("footer hints list every console action and keep help and quit when cut", () => {
    const h = hintsFor("normal", CONTROL_ACTIONS);
    expect(h.primary.map((x) => x.keys)).toEqual(CONTROL_ACTIONS.filter((a) => a.key).map((a) => a.key));
    const narrow = packHints(h.secondary, 20, 2);
    expect(narrow).toBe("? help  q quit");
  });
});

describe("verdictCounts", () => {
  test("compiled always, the other verdicts when present, best first", () => {
    expect(verdictCounts([])).toBe("0 compiled");
    expect(verdictCounts(["rejected", "waiting", "compiled", "waiting"])).toBe("1 compiled · 2 waiting · 1 rejected");
    expect(verdictCounts(["partial"])).toBe("0 compiled · 1 partial");
  });
});

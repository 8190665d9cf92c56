import { afterEach, describe, expect, test, vi } from "vitest";

// Colour support is decided when chalk loads, so force it before any import.
vi.hoisted(() => {
  process.env.FORCE_COLOR = "1";
});

import { cleanup } from "ink-testing-library";
import { noColorFromEnv } from "../../src/tui/theme.js";
import { fullData, NOW } from "./fixtures.js";
import { renderApp } from "./helpers.js";

afterEach(() => cleanup());

const FOREGROUND = /\u001B\[(3[0-7]|9[0-7]|38;)[0-9;]*m/;

describe("colour", () => {
  test("each trigger kind has its own colour besides its glyph", async () => {
    const { frame } = await renderApp();
    const f = frame();
    expect(f).toMatch(/\u001B\[33m▲ VOLUME/); // yellow
    expect(f).toMatch(/\u001B\[31m↻ RECOVERY/); // red
    expect(f).toMatch(/\u001B\[35mΔ CODE_CHANGE/); // magenta
    expect(f).toMatch(/\u001B\[32m◆ BOOT/); // green
  });

  test("a DRIFT row (the sixth trigger) shows its own glyph in bright red", async () => {
    const data = fullData();
    const drift = { _id: "drift1", _creationTime: NOW, kind: "TRIGGER:DRIFT", bucket: "acme:classify_lead_tier:v1", detail: "CUSUM 9.31 >= h 9.20", at: NOW };
    data["daemon/triggers:recent"] = [drift, ...(data["daemon/triggers:recent"] as unknown[])];
    const { frame } = await renderApp({ data });
    expect(frame()).toMatch(/\u001B\[91m≠ DRIFT/);
  });

  test("each verdict has its own colour besides its glyph", async () => {
    const { frame } = await renderApp();
    const f = frame();
    expect(f).toMatch(/\u001B\[32m✓ compiled/); // green
    expect(f).toMatch(/\u001B\[36m◐ partial/); // cyan
    expect(f).toMatch(/\u001B\[33m… waiting/); // yellow
    expect(f).toMatch(/\u001B\[31m✗ rejected/); // red
  });

  test("noColor removes every foreground colour but keeps glyphs and labels", async () => {
    const { frame } = await renderApp({ noColor: true });
    const f = frame();
    expect(f).not.toMatch(FOREGROUND);
    for (const s of ["▲ VOLUME", "↻ RECOVERY", "Δ CODE_CHANGE", "◆ BOOT", "✓ compiled", "◐ partial", "… waiting", "✗ rejected", "▶ Vault"]) expect(f).toContain(s);
  });

  test("NO_COLOR set and non-empty disables colour (no-color.org)", () => {
    expect(noColorFromEnv({ NO_COLOR: "1" })).toBe(true);
    expect(noColorFromEnv({ NO_COLOR: "" })).toBe(false);
    expect(noColorFromEnv({})).toBe(false);
  });
});

import { afterEach, expect, test } from "vitest";
import { cleanup } from "ink-testing-library";
import { renderApp } from "./helpers.js";
afterEach(() => cleanup());
test("renders", async () => {
  const { frame } = await renderApp();
  console.log(frame());
});

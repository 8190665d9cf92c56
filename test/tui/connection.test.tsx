import { afterEach, describe, expect, test } from "vitest";
import { cleanup } from "ink-testing-library";
import { ConvexBackend } from "../../src/backend/convex.js";
import { FakeClient } from "./fakeClient.js";
import { fullData } from "./fixtures.js";
import { renderApp, waitForFrame } from "./helpers.js";

afterEach(() => cleanup());

// The footer follows the connection through the client's own event: when a connection drops no
// query result arrives, so nothing else would redraw it.
describe("the footer follows the connection state", () => {
  test("a drop and a recovery show with no subscription firing", async () => {
    const client = new FakeClient(fullData());
    client.connection = { kind: "convex", url: "https://x.convex.cloud", connected: true, retries: 0 };
    const app = await renderApp({ client });
    expect(app.frame()).toContain("● convex https://x.convex.cloud");
    expect(client.connectionListenerCount()).toBe(1);

    client.setConnection({ kind: "convex", url: "https://x.convex.cloud", connected: false, retries: 2, lastError: "socket closed" });
    await waitForFrame(app, "○ convex reconnecting (retry 2): socket closed");

    client.setConnection({ kind: "convex", url: "https://x.convex.cloud", connected: true, retries: 0 });
    await waitForFrame(app, "● convex https://x.convex.cloud");
    expect(app.frame()).not.toContain("reconnecting");

    app.unmount();
    expect(client.connectionListenerCount()).toBe(0);
  });

  test("a real Convex client that cannot reach its deployment: the footer says reconnecting though no query ever answers", async () => {
    const client = new ConvexBackend({ url: "http://127.0.0.1:9", adminToken: "t", log: () => {} });
    try {
      const app = await renderApp({ client: client as never, columns: 160, rows: 30 });
      // Every pane is still waiting: no subscription has fired, yet the footer moves on its own. The
      // first refusal may land before the first frame; the second retry comes a backoff later.
      await waitForFrame(app, "○ convex reconnecting (retry 2)", 15_000);
      const f = app.frame();
      expect(f).toContain("CONNECTING");
      expect(f).toContain("cannot reach Convex at http://127.0.0.1:9");
      app.unmount();
    } finally {
      await client.close();
    }
  }, 20_000);
});

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ConvexError } from "convex/values";
import { ADMIN_TOKEN_UNSET, ADMIN_TOKEN_WRONG, requireAdmin } from "../../convex/lib/auth.js";
import { errorLine } from "../../convex/lib/errors.js";
import { MAX_PER_TICK, replayPlan } from "../../convex/lib/pacing.js";
import { bumpedSha, shaAfterReport } from "../../convex/lib/sha.js";
import { seqRange } from "../../convex/lib/events.js";
import { checkBucketKey, checkInt, checkTrace, compileThreshold, DEFAULT_THRESHOLD } from "../../convex/lib/validate.js";

function thrown(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return errorLine(err);
  }
  throw new Error("expected a throw");
}

describe("convex/lib pure helpers", () => {
  const saved = process.env.COMPILE_ADMIN_TOKEN;
  afterEach(() => {
    if (saved === undefined) delete process.env.COMPILE_ADMIN_TOKEN;
    else process.env.COMPILE_ADMIN_TOKEN = saved;
  });

  it("requireAdmin: unset env, wrong token, right token", () => {
    delete process.env.COMPILE_ADMIN_TOKEN;
    expect(thrown(() => requireAdmin("x"))).toBe(ADMIN_TOKEN_UNSET);
    process.env.COMPILE_ADMIN_TOKEN = "";
    expect(thrown(() => requireAdmin(""))).toBe(ADMIN_TOKEN_UNSET);
    process.env.COMPILE_ADMIN_TOKEN = "secret";
    for (const bad of ["", "secre", "secret ", "Secret", undefined]) {
      expect(thrown(() => requireAdmin(bad))).toBe(ADMIN_TOKEN_WRONG);
    }
    expect(() => requireAdmin("secret")).not.toThrow();
    try {
      requireAdmin("nope");
    } catch (err) {
      // ConvexError so a production deployment does not redact the reason
      expect(err).toBeInstanceOf(ConvexError);
    }
  });

  it("replayPlan: first tick, not due, due, cadence, cap, remaining", () => {
    expect(replayPlan(5000, 0, 1000, 10)).toEqual({ n: 1, nextLastTickAt: 5000 });
    expect(replayPlan(5999, 5000, 1000, 10).n).toBe(0);
    expect(replayPlan(6000, 5000, 1000, 10)).toEqual({ n: 1, nextLastTickAt: 6000 });
    expect(replayPlan(7500, 5000, 1000, 10)).toEqual({ n: 2, nextLastTickAt: 7000 });
    expect(replayPlan(6000, 5000, 250, 10)).toEqual({ n: 4, nextLastTickAt: 6000 });
    expect(replayPlan(6000, 5000, 1, 10_000)).toEqual({ n: MAX_PER_TICK, nextLastTickAt: 6000 });
    expect(replayPlan(9000, 5000, 1000, 2)).toEqual({ n: 2, nextLastTickAt: 9000 });
    expect(replayPlan(9000, 5000, 1000, 0).n).toBe(0);
    // Speed 0: as many as a tick may move, whenever it runs, first tick included.
    expect(replayPlan(5000, 0, 0, 10)).toEqual({ n: 10, nextLastTickAt: 5000 });
    expect(replayPlan(5001, 5000, 0, 10_000)).toEqual({ n: MAX_PER_TICK, nextLastTickAt: 5001 });
    expect(replayPlan(5001, 5000, 0, 0).n).toBe(0);
  });

  it("bumpedSha moves to a new sha every time and keeps the content sha readable", () => {
    const a = bumpedSha("abc123", 0);
    const b = bumpedSha(a, 1);
    expect(a).toBe("abc123+bump1");
    expect(b).toBe("abc123+bump2");
    expect(bumpedSha("initial", 4)).toBe("initial+bump5");
    // the code watch reporting the unchanged content keeps the bump; new content replaces it
    expect(shaAfterReport("abc123+bump2", "abc123")).toBe("abc123+bump2");
    expect(shaAfterReport("abc123+bump2", "def456")).toBe("def456");
    expect(shaAfterReport("abc123", "abc123")).toBe("abc123");
  });

  it("checkBucketKey accepts the documented format only and names the field", () => {
    for (const ok of ["acme:classify_lead_tier:v1", "a:b:v0", "my-org_2:x_1:v12"]) expect(checkBucketKey(ok)).toBe(ok);
    for (const bad of ["", "acme:x", "Acme:x:v1", "acme:x-y:v1", "acme:x:v", "acme:x:v1:extra", "-acme:x:v1", 7]) {
      expect(thrown(() => checkBucketKey(bad, "trace.bucket"))).toMatch(/^trace\.bucket: bad bucket key/);
    }
  });

  it("checkInt and checkTrace give one-line reasons", () => {
    expect(checkInt(5, "n", 1, 10)).toBe(5);
    expect(thrown(() => checkInt(0, "n", 1, 10))).toBe("n must be an integer from 1 to 10, got 0");
    expect(thrown(() => checkInt(2.5, "n", 1, 10))).toContain("got 2.5");
    const t = { bucket: "a:b:v1", input: {}, output: 1, model: "m", latencyMs: 1, tokensIn: 1, tokensOut: 1 };
    expect(() => checkTrace(t)).not.toThrow();
    expect(thrown(() => checkTrace({ ...t, tokensOut: -1 }, "traces[4]"))).toMatch(/^traces\[4\]\.tokensOut/);
    expect(thrown(() => checkTrace({ ...t, model: "" }))).toMatch(/^trace\.model/);
    expect(thrown(() => checkTrace({ ...t, output: undefined }))).toMatch(/^trace\.output/);
  });

  it("compileThreshold: default, valid override, garbage falls back", () => {
    expect(compileThreshold(undefined)).toBe(DEFAULT_THRESHOLD);
    expect(compileThreshold("12")).toBe(12);
    for (const bad of ["", "0", "-3", "2.5", "lots"]) expect(compileThreshold(bad)).toBe(DEFAULT_THRESHOLD);
  });

  it("seqRange", () => {
    expect(seqRange(3, 3)).toBe("seq 3");
    expect(seqRange(10, 12)).toBe("seq 10-12");
  });
});

// The DESIGN §3 rules, checked on the source so a later edit cannot quietly break them.
describe("convex/ source rules", () => {
  const root = join(import.meta.dirname, "../../convex");
  const files = ["daemon", "lib", "model"].flatMap((d) =>
    readdirSync(join(root, d))
      .filter((f) => f.endsWith(".ts"))
      .map((f) => join(root, d, f)),
  );

  it("has the modules it should", () => {
    expect(files.length).toBeGreaterThanOrEqual(13);
  });

  it("no .filter( on a db query, no .collect(), no full scans without an index", () => {
    for (const f of files) {
      const src = readFileSync(f, "utf8");
      expect(src, f).not.toMatch(/\.collect\(\)/);
      // singletons (replay_state, code_state) may be read with .first(); the tables that grow may not
      expect(src, f).not.toMatch(
        /\.query\("(proxy_traces|trigger_events|pending_compiles|replay_source|vault_index|buckets|daemon_heartbeat|usage|shadow_checks)"\)\s*\.(filter|order|take|first|unique|paginate)\(/,
      );
      expect(src, f).not.toMatch(/ctx\.db\.query\([^)]*\)\s*\.filter\(/);
    }
  });

  it("no Date.now() inside a query handler", () => {
    for (const f of files) {
      const src = readFileSync(f, "utf8");
      const blocks = src.split(/\nexport const /).filter((b) => /^\w+ = query\(/.test(b));
      for (const b of blocks) expect(b, `${f}: ${b.split("\n")[0]}`).not.toContain("Date.now()");
    }
  });
});

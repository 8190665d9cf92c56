import { describe, expect, it } from "vitest";
import { createLocalStage2Runner, STAGE2_EVAL_SCRIPT } from "../../src/compiler/index.js";
import { createTensorlakeStage2Runner } from "../../src/worker/compute/tensorlake.js";
import { createNiaSink } from "../../src/worker/nia.js";

// The real services, when their credentials are in the environment. This machine reaches no
// internet, so here they are skipped with the reason; the stubs in compute/ and nia.test.ts run always.
const tensorlakeSkip = process.env.TENSORLAKE_API_KEY ? undefined : "TENSORLAKE_API_KEY is not set";
const niaSkip = process.env.NIA_API_KEY ? undefined : "NIA_API_KEY is not set";
const CODE = "export default function compiled(input) { return { n: input.n * 2 }; }";

describe.skipIf(tensorlakeSkip !== undefined)(`Tensorlake sandboxes${tensorlakeSkip ? ` (skipped: ${tensorlakeSkip})` : ""}`, () => {
  it("runs stage 2 in real sandboxes with the same outputs as the local runner", async () => {
    const inputs = Array.from({ length: 40 }, (_, n) => ({ n }));
    const remote = createTensorlakeStage2Runner({
      apiKey: process.env.TENSORLAKE_API_KEY!,
      ...(process.env.TENSORLAKE_API_URL ? { apiUrl: process.env.TENSORLAKE_API_URL } : {}),
      ...(process.env.TENSORLAKE_SANDBOX_IMAGE ? { image: process.env.TENSORLAKE_SANDBOX_IMAGE } : {}),
      evalScript: STAGE2_EVAL_SCRIPT,
      callTimeoutMs: 60_000,
      runTimeoutMs: 60_000,
    });
    const [got, want] = await Promise.all([remote.run(CODE, inputs), createLocalStage2Runner().run(CODE, inputs)]);
    expect(got.outputs).toEqual(want.outputs);
  }, 180_000);
});

describe.skipIf(niaSkip !== undefined)(`Nia contexts API${niaSkip ? ` (skipped: ${niaSkip})` : ""}`, () => {
  it("accepts a vault entry", async () => {
    const sink = createNiaSink({ apiKey: process.env.NIA_API_KEY!, ...(process.env.NIA_API_URL ? { baseUrl: process.env.NIA_API_URL } : {}) });
    await sink.publish({
      bucket: "acme:live_test:v1",
      sha: "live",
      verdict: "compiled",
      scores: { schema: 1, det: 1, oracle: 1 },
      family: "constant",
      code: CODE,
      nTraces: 1,
      reasons: [],
      writtenAt: Date.now(),
    });
  }, 60_000);
});

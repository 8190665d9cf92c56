import { cpSync, mkdtempSync, writeFileSync, appendFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { findCallSites, loadFixtures, scanRepo } from "../../src/compiler/index.js";

const AGENT = "data/acme-agent";

describe("scanRepo", () => {
  it("finds the four call sites with schemas, prompt and location", async () => {
    const { callSites } = await scanRepo(AGENT);
    expect(callSites.map((site) => site.bucket)).toEqual(["acme:classify_lead_tier:v1", "acme:normalize_country:v1", "acme:route_ticket:v1", "acme:summarize_feedback:v1"]);
    const lead = callSites[0];
    expect(lead).toMatchObject({ name: "classify_lead_tier", version: 1, file: "src/calls/classifyLeadTier.ts" });
    expect(lead.line).toBeGreaterThan(1);
    expect(lead.outputSchema).toMatchObject({ properties: { tier: { enum: ["A", "B", "C"] } } });
    expect(lead.inputSchema).toMatchObject({ required: expect.arrayContaining(["budgetUsd", "employees"]) });
    expect(lead.prompt).toMatch(/tier A/);
  });

  it("hashes the tree stably, ignores traces, and notices a code change", async () => {
    const copy = mkdtempSync(join(tmpdir(), "acme-"));
    cpSync(AGENT, copy, { recursive: true });
    const first = await scanRepo(copy);
    expect((await scanRepo(copy)).sha).toBe(first.sha);
    expect(first.sha).toMatch(/^[0-9a-f]{64}$/);
    appendFileSync(join(copy, "traces", "seed.jsonl"), "\n");
    expect((await scanRepo(copy)).sha).toBe(first.sha);
    appendFileSync(join(copy, "src", "agent.ts"), "\n// changed\n");
    expect((await scanRepo(copy)).sha).not.toBe(first.sha);
  });

  it("reads specs declared as consts and schemas held in identifiers", () => {
    const source = `
      import { defineCall } from "./defineCall.js";
      const OUT = { type: "object", properties: { ok: { type: "boolean" } } } as const;
      const spec = { name: "check", version: 2, input: { type: "object" }, output: OUT, prompt: "Check " + "it." };
      export const check = defineCall<{}, {}>(spec);
    `;
    const [site] = findCallSites("x.ts", source);
    expect(site).toMatchObject({ name: "check", version: 2, bucket: "acme:check:v2", prompt: "Check it.", outputSchema: { properties: { ok: { type: "boolean" } } }, line: 5 });
  });

  it("loads a call site's fixtures statically", async () => {
    const fixtures = await loadFixtures(AGENT, "normalize_country");
    expect(fixtures).toContainEqual({ country: "U.S.A." });
    expect(await loadFixtures(AGENT, "no_such_call")).toEqual([]);
    const dir = mkdtempSync(join(tmpdir(), "nofix-"));
    writeFileSync(join(dir, "fixtures.ts"), "export const fixtures = { x: [compute()] };");
    expect(await loadFixtures(dir, "x")).toEqual([]);
  });
});

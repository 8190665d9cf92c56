import { defineCall } from "../defineCall.js";

export interface Lead {
  company: string;
  employees: number;
  industry: "software" | "finance" | "healthcare" | "retail" | "manufacturing" | "education";
  budgetUsd: number;
  title: string;
  region: "NA" | "EMEA" | "APAC" | "LATAM";
}

export interface LeadTier {
  tier: "A" | "B" | "C";
}

/** Sales decides who calls back first: A within the hour, B the same day, C gets the nurture sequence. */
export const classifyLeadTier = defineCall<Lead, LeadTier>({
  name: "classify_lead_tier",
  version: 1,
  input: {
    type: "object",
    properties: {
      company: { type: "string", minLength: 1 },
      employees: { type: "integer", minimum: 1 },
      industry: { type: "string", enum: ["software", "finance", "healthcare", "retail", "manufacturing", "education"] },
      budgetUsd: { type: "integer", minimum: 0 },
      title: { type: "string" },
      region: { type: "string", enum: ["NA", "EMEA", "APAC", "LATAM"] },
    },
    required: ["company", "employees", "industry", "budgetUsd", "title", "region"],
    additionalProperties: false,
  },
  output: {
    type: "object",
    properties: { tier: { type: "string", enum: ["A", "B", "C"] } },
    required: ["tier"],
    additionalProperties: false,
  },
  prompt:
    "You are Acme's sales-ops assistant. Classify the inbound lead into tier A (large budget and a company big enough to buy), " +
    "B (worth a same-day call) or C (nurture). Answer with JSON {\"tier\": ...} only.",
});

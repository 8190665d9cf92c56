/**
 * The agent's own example inputs, one list per call site (keyed by call name). Compile runs them
 * through a compiled function to record its result envelope. Plain literals only: the compiler
 * reads this file statically, without executing the agent.
 */
export const fixtures = {
  classify_lead_tier: [
    { company: "Globex Inc", employees: 1200, industry: "manufacturing", budgetUsd: 120000, title: "CFO", region: "NA" },
    { company: "Pinecrest Labs", employees: 40, industry: "software", budgetUsd: 60000, title: "Founder", region: "EMEA" },
    { company: "Lumen Co", employees: 350, industry: "healthcare", budgetUsd: 15000, title: "IT Director", region: "APAC" },
    { company: "Kestrel Ltd", employees: 12, industry: "retail", budgetUsd: 3000, title: "Operations Manager", region: "LATAM" },
  ],
  route_ticket: [
    { subject: "Charged twice", body: "Hi team, we were charged twice this month. Thanks." },
    { subject: "API returns 500", body: "Requests fail with a 500 error since this morning." },
    { subject: "Locked out", body: "My account is locked after too many attempts. Regards, Sam" },
    { subject: "Quote request", body: "Please send a quote for 50 seats." },
  ],
  normalize_country: [
    { country: "U.S.A." },
    { country: "united kingdom " },
    { country: "Deutschland" },
    { country: "SPAIN" },
  ],
  summarize_feedback: [
    { feedback: "We love the new dashboard. However, we keep hitting slow page loads almost every day." },
    { feedback: "Our team appreciate support response times." },
  ],
} satisfies Record<string, readonly object[]>;

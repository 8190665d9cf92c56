import type { ModelClient } from "./defineCall.js";
import { classifyLeadTier, type Lead } from "./calls/classifyLeadTier.js";
import { normalizeCountry } from "./calls/normalizeCountry.js";
import { routeTicket, type Ticket } from "./calls/routeTicket.js";
import { summarizeFeedback } from "./calls/summarizeFeedback.js";

/** An inbound lead as the web form delivers it: the country is whatever the visitor typed. */
export interface InboundLead extends Lead {
  countryText: string;
}

export interface QualifiedLead extends Lead {
  countryCode: string;
  tier: "A" | "B" | "C";
}

/** Acme's sales-ops agent: qualify leads, route tickets, digest feedback. Each step is one LLM call. */
export function createAgent(model: ModelClient) {
  return {
    async qualifyLead(lead: InboundLead): Promise<QualifiedLead> {
      const { countryText, ...fields } = lead;
      const [{ code }, { tier }] = await Promise.all([
        normalizeCountry({ country: countryText }, model),
        classifyLeadTier(fields, model),
      ]);
      return { ...fields, countryCode: code, tier };
    },
    async routeTicket(ticket: Ticket) {
      return (await routeTicket(ticket, model)).queue;
    },
    async digestFeedback(feedback: string) {
      return summarizeFeedback({ feedback }, model);
    },
  };
}

import { defineCall } from "../defineCall.js";

export interface Ticket {
  subject: string;
  body: string;
}

export interface Route {
  queue: "billing" | "technical" | "account" | "sales";
}

/** Support has four queues; a misrouted ticket costs a day, so the agent routes before a human sees it. */
export const routeTicket = defineCall<Ticket, Route>({
  name: "route_ticket",
  version: 1,
  input: {
    type: "object",
    properties: {
      subject: { type: "string", maxLength: 200 },
      body: { type: "string", maxLength: 4000 },
    },
    required: ["subject", "body"],
    additionalProperties: false,
  },
  output: {
    type: "object",
    properties: { queue: { type: "string", enum: ["billing", "technical", "account", "sales"] } },
    required: ["queue"],
    additionalProperties: false,
  },
  prompt:
    "Route this support ticket to exactly one queue: billing (invoices, charges, refunds), technical (errors, outages, the API), " +
    "account (login, password, users) or sales (pricing, upgrades, quotes). Answer with JSON {\"queue\": ...} only.",
});

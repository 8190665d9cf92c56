import { defineCall } from "../defineCall.js";

export interface CountryText {
  country: string;
}

export interface CountryCode {
  code: string;
}

/** CRM imports arrive with countries typed by hand; billing and tax need ISO 3166-1 alpha-2. */
export const normalizeCountry = defineCall<CountryText, CountryCode>({
  name: "normalize_country",
  version: 1,
  input: {
    type: "object",
    properties: { country: { type: "string", minLength: 1, maxLength: 60 } },
    required: ["country"],
    additionalProperties: false,
  },
  output: {
    type: "object",
    properties: { code: { type: "string", pattern: "^[A-Z]{2}$" } },
    required: ["code"],
    additionalProperties: false,
  },
  prompt:
    "Return the ISO 3166-1 alpha-2 code of the country the user typed, whatever its spelling, case or language. " +
    "Answer with JSON {\"code\": \"XX\"} only.",
});

import { defineCall } from "../defineCall.js";

export interface Feedback {
  feedback: string;
}

export interface FeedbackSummary {
  sentiment: "positive" | "negative" | "mixed";
  summary: string;
}

/**
 * Product reads a one-line digest of every piece of customer feedback. Free text in, free text out:
 * the summary is a fresh paraphrase each time, which no small deterministic function reproduces.
 */
export const summarizeFeedback = defineCall<Feedback, FeedbackSummary>({
  name: "summarize_feedback",
  version: 1,
  input: {
    type: "object",
    properties: { feedback: { type: "string", minLength: 1 } },
    required: ["feedback"],
    additionalProperties: false,
  },
  output: {
    type: "object",
    properties: {
      sentiment: { type: "string", enum: ["positive", "negative", "mixed"] },
      summary: { type: "string", minLength: 1, maxLength: 200 },
    },
    required: ["sentiment", "summary"],
    additionalProperties: false,
  },
  prompt:
    "Summarise this customer feedback in one sentence a product manager can act on, and give its overall sentiment " +
    "(positive, negative or mixed). Answer with JSON {\"sentiment\": ..., \"summary\": ...} only.",
});

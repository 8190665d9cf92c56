import React from "react";
import { render } from "ink-testing-library";
import { describe, expect, it } from "vitest";
import { rankQueue, type QueuedJob } from "../../src/contract/queueOrder.js";
import { PipelinePane } from "../../src/tui/components/PipelinePane.js";

const PRICED = "gpt-4o-mini-2024-07-18";
const queued = (bucket: string, enqueuedAt: number, callsPerMinute: number): QueuedJob =>
  ({ jobId: bucket, bucket, reason: "VOLUME", enqueuedAt, callsPerMinute, avgTokensIn: 200, avgTokensOut: 8, model: PRICED }) as unknown as QueuedJob;

describe("the pipeline pane's queue", () => {
  it("shows pending jobs in claim order, the busiest bucket first, with its saving a minute", () => {
    const queue = rankQueue([queued("acme:normalize_country:v1", 1, 2), queued("acme:route_ticket:v1", 5, 40)]);
    const { lastFrame, unmount } = render(<PipelinePane active={[]} recent={[]} queue={queue} width={100} height={5} />);
    const frame = lastFrame() ?? "";
    expect(frame).toMatch(/next route_ticket \$[\d.e-]+\/min › normalize_country \$[\d.e-]+\/min/);
    expect(frame).toContain("2 queued");
    unmount();
  });
});

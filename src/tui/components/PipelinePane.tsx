import React from "react";
import { Text } from "ink";
import type { RankedJob } from "../../contract/queueOrder.js";
import type { CompileJob, VaultVerdict } from "../data.js";
import { bar, fit, printable } from "../format.js";
import { entryStyle, useTheme } from "../theme.js";
import { Pane, innerWidth } from "./Pane.js";

export const STAGE2_SAMPLES = 1000;

export interface PipelinePaneProps {
  active: readonly CompileJob[] | undefined;
  recent: readonly CompileJob[] | undefined;
  /** Verdicts at `currentSha`: a finished job shows what it concluded ("… waiting"), not just "done". */
  verdicts?: ReadonlyMap<string, { verdict: VaultVerdict; status?: string }>;
  currentSha?: string;
  /** Pending jobs in the order they will be claimed (expected saving, then age). */
  queue?: readonly RankedJob[];
  width: number;
  height: number;
}

/** "stage2 412/1000" for stage 2 (n of the synthetic inputs), a percentage elsewhere. */
export function stageProgress(job: Pick<CompileJob, "stage" | "progress">): string {
  const p = job.progress ?? 0;
  if (job.stage === "stage2") return `${Math.round(p * STAGE2_SAMPLES)}/${STAGE2_SAMPLES}`;
  return job.progress === undefined ? "" : `${Math.round(p * 100)}%`;
}

const FINISHED_GLYPH: Record<string, [string, string]> = {
  done: ["✓", "green"],
  rejected: ["✗", "yellow"],
  failed: ["!", "red"],
};

/** "route_ticket $0.012/min › normalize_country" : the claim order, most valuable first. */
export function queueOrderText(queue: readonly RankedJob[]): string {
  return queue
    .map((j) => {
      const name = j.bucket.split(":")[1] ?? j.bucket;
      return j.savingPerMinuteUsd === undefined ? name : `${name} $${j.savingPerMinuteUsd.toPrecision(2)}/min`;
    })
    .join(" › ");
}

export function PipelinePane({ active, recent, verdicts, currentSha, queue, width, height }: PipelinePaneProps): React.JSX.Element {
  const theme = useTheme();
  const w = innerWidth(width);
  const running = active ?? [];
  const queued = queue?.length ?? (recent ?? []).filter((j) => j.status === "pending").length;
  const noteParts = [running.length > 1 ? `${running.length} running` : "", queued ? `${queued} queued` : ""].filter(Boolean);
  const note = noteParts.length ? noteParts.join(" · ") : undefined;
  const job = running[0];

  if (!job) {
    const last = (recent ?? []).find((j) => j.status === "done" || j.status === "rejected" || j.status === "failed");
    const entry = last && last.status !== "failed" && last.sha === currentSha ? verdicts?.get(last.bucket) : undefined;
    const style = entry ? entryStyle(entry) : undefined;
    const [glyph, color] =
      style ? [style.glyph, style.color]
      : last ? (FINISHED_GLYPH[last.status] ?? ["·", "gray"])
      : ["·", "gray"];
    const label = printable(style?.label ?? last?.status ?? "");
    return (
      <Pane title="Pipeline" note={note} width={width} height={height}>
        <Text dimColor wrap="truncate">
          {active === undefined ? "waiting…" : queue?.length ? `next ${printable(queueOrderText(queue))}` : queued ? "waiting for the worker to claim" : "idle"}
        </Text>
        {last && (
          <Text wrap="truncate">
            <Text>last </Text>
            <Text color={theme.color(color)}>
              {glyph} {label}
            </Text>
            <Text> {fit(last.bucket, Math.max(0, w - label.length - 8))}</Text>
          </Text>
        )}
        {last?.error && (
          <Text color={theme.color("red")} wrap="truncate">
            {printable(last.error)}
          </Text>
        )}
      </Pane>
    );
  }

  const progress = stageProgress(job);
  return (
    <Pane title="Pipeline" note={note} width={width} height={height}>
      <Text wrap="truncate">
        <Text color={theme.color("cyan")}>▶ </Text>
        <Text bold>{fit(job.bucket, Math.max(0, w - 2))}</Text>
      </Text>
      <Text wrap="truncate">
        <Text>stage </Text>
        <Text bold color={theme.color("cyan")}>
          {printable(job.stage ?? "claimed")}
        </Text>
        <Text> {progress}</Text>
        {job.attempts > 1 && <Text color={theme.color("yellow")}> · attempt {job.attempts}</Text>}
      </Text>
      <Text color={theme.color("cyan")} wrap="truncate">
        {bar(job.progress ?? 0, w)}
      </Text>
    </Pane>
  );
}

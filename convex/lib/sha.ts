export const INITIAL_SHA = "initial";

/**
 * The sha `bump-sha` moves to: the current content sha with a bump suffix, so the console shows
 * both what the code is and that it was bumped by hand. Repeated bumps replace the suffix.
 */
export function bumpedSha(current: string, bumps: number): string {
  return `${contentSha(current)}+bump${bumps + 1}`;
}

/** The content sha under any bump suffix. */
export function contentSha(sha: string): string {
  return sha.replace(/\+bump\d+$/, "");
}

/**
 * The sha a worker's report moves to. A bump is a hand-made change on top of unchanged content, so
 * the code watch reporting that same content (its 30 s poll) keeps the bumped sha instead of firing
 * CODE_CHANGE straight back.
 */
export function shaAfterReport(current: string, reported: string): string {
  return contentSha(current) === reported ? current : reported;
}

export const INITIAL_SHA = "initial";

/**
 * The sha `bump-sha` moves to: the current content sha with a bump suffix, so the console shows
 * both what the code is and that it was bumped by hand. Repeated bumps replace the suffix.
 */
export function bumpedSha(current: string, bumps: number): string {
  const base = current.replace(/\+bump\d+$/, "");
  return `${base}+bump${bumps + 1}`;
}

/**
 * A short form of a code SHA for people. `bump-sha` marks the same content as a new version by
 * appending "+bumpN"; the suffix is kept so a bump is visible in every table.
 */
export function shortSha(sha: string | undefined, length = 7): string {
  if (!sha) return "-".repeat(length);
  const bump = /\+bump\d+$/.exec(sha)?.[0] ?? "";
  return sha.slice(0, length) + bump;
}

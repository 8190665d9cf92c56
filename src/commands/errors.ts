/** Bad usage or bad input: printed as one line, exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** The user answered No to a confirmation: one line, exit code 1 (nothing was done). */
export class Cancelled extends Error {
  override name = "Cancelled";
}

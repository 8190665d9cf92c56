/**
 * The static gate on generated code is now a positive grammar (codeCheck.ts): what compiled code may
 * be, not a list of what it may not. These names stay for the library's callers.
 */
export { checkCode as checkAllowlist, codeHash, type CodeCheckResult as AllowlistResult } from "./codeCheck.js";

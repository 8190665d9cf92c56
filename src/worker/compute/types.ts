// The stage-2 contract is the compiler's; this folder only adds the provider name.
export type { Stage2Output, Stage2Runner } from "../../compiler/types.js";

export type ComputeName = "tensorlake" | "local";

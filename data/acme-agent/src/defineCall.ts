/**
 * The one seam between Acme's agent and its language model. Every LLM call is declared with
 * `defineCall`, so Compile can find the call sites statically (name, version, schemas, prompt)
 * and a proxy can record each call as a trace in the bucket `acme:<name>:v<version>`.
 */

/** A JSON Schema, kept as plain data so a static scanner can read it without running the agent. */
export type JsonSchema = { readonly [key: string]: unknown };

export interface CallSpec {
  readonly name: string;
  readonly version: number;
  readonly input: JsonSchema;
  readonly output: JsonSchema;
  readonly prompt: string;
}

/** Whatever answers the prompt: an OpenAI-compatible client in production, a stub in tests. */
export type ModelClient = (request: { bucket: string; prompt: string; input: unknown }) => Promise<unknown>;

export interface DefinedCall<I, O> {
  readonly spec: CallSpec;
  readonly bucket: string;
  (input: I, model: ModelClient): Promise<O>;
}

export function defineCall<I, O>(spec: CallSpec): DefinedCall<I, O> {
  const bucket = `acme:${spec.name}:v${spec.version}`;
  const call = async (input: I, model: ModelClient): Promise<O> =>
    // The model's answer is trusted to match `spec.output`; the proxy validates it when recording.
    (await model({ bucket, prompt: spec.prompt, input })) as O;
  return Object.assign(call, { spec, bucket });
}

/**
 * Schema of models/manifest.json: what training/export writes and what the edge serves at /v1/models.
 */
import { z } from 'zod';

export const tensorEntry = z.object({
  name: z.string(),
  /** -1 marks the dynamic batch dimension */
  shape: z.array(z.number().int()),
  dtype: z.literal('float32'),
});

export const modelEntry = z.object({
  file: z.string(),
  role: z.string(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: z.number().int().positive(),
  inputs: z.array(tensorEntry),
  outputs: z.array(tensorEntry),
  opset: z.number().int(),
  ir_version: z.number().int(),
  /** weight storage in the file: float32, or float16 with a Cast back to float32 in the graph */
  weights: z.enum(['float32', 'float16']).default('float32'),
});

/** Nested metric tree: numbers, strings, arrays or further objects. */
export type Metrics = { [key: string]: unknown };

export const manifestSchema = z.object({
  schema_version: z.literal(1),
  /** id of the training run the models come from; also the model version used in ETags */
  run_id: z.string(),
  created_at: z.string(),
  dataset: z.string(),
  seed: z.number().int(),
  quick: z.boolean(),
  models: z.record(z.string(), modelEntry),
  metrics: z.record(z.string(), z.unknown()),
  /** the quality gate's verdict when the set was published (core/quality-floors.ts, training/publish.ts) */
  quality_gate: z
    .object({
      passed: z.boolean(),
      /** published although a floor was missed (--force) */
      forced: z.boolean(),
      floors: z.number().int(),
      misses: z.array(z.string()),
    })
    .optional(),
});

export type Manifest = z.infer<typeof manifestSchema>;
export type ModelEntry = z.infer<typeof modelEntry>;

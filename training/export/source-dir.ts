/** Where `npm run export` reads tfjs models from when --from is not given. */
import { stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { readdir } from 'node:fs/promises';
import { MODEL_IDS } from '../../core/contract';

/** The ids in MODEL_IDS whose model.json or weights.bin is missing under `tfjsDir`. */
export async function missingModels(tfjsDir: string): Promise<string[]> {
  const missing: string[] = [];
  for (const id of MODEL_IDS) {
    for (const file of ['model.json', 'weights.bin']) {
      const found = await stat(join(tfjsDir, id, file)).then((s) => s.isFile(), () => false);
      if (!found) missing.push(`${id}/${file}`);
    }
  }
  return missing;
}

/** The newest runs/<runId>/tfjs holding every model (by its newest model.json), else models/tfjs. */
export async function defaultSourceDir(runsDir: string, modelsDir: string): Promise<string> {
  let best: { dir: string; mtime: number } | null = null;
  const runs = await readdir(runsDir).catch(() => [] as string[]);
  for (const run of runs) {
    const dir = join(runsDir, run, 'tfjs');
    if ((await missingModels(dir)).length > 0) continue;
    const times = await Promise.all(MODEL_IDS.map(async (id) => (await stat(join(dir, id, 'model.json'))).mtimeMs));
    const mtime = Math.max(...times);
    if (!best || mtime > best.mtime) best = { dir, mtime };
  }
  return best?.dir ?? join(modelsDir, 'tfjs');
}

/** runs/<runId>/tfjs -> runId; null for any other layout. */
export function runIdFromSourceDir(tfjsDir: string): string | null {
  return basename(tfjsDir) === 'tfjs' && basename(dirname(dirname(tfjsDir))) === 'runs' ? basename(dirname(tfjsDir)) : null;
}

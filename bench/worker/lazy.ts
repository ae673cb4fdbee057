/**
 * The benchmark's cold-start probe: the same app as bench/worker/index.ts but with nothing loaded at
 * module scope, so the first request to /__bench/cold-load does all the startup work edge/index.ts does
 * (ORT init and the three sessions) inside a request, where local workerd's clock runs (during module
 * evaluation it stands still, so startup work cannot be timed there).
 */
import { createApp } from '../../edge/app';
import { BUNDLED_MANIFEST, BUNDLED_MODELS } from '../../edge/bundle';
import { ModelStore } from '../../edge/inference/model-store';
import { generateImages } from '../../edge/inference/sampling';
import { encodeGrid } from '../../edge/encoding/images';

const store = new ModelStore(BUNDLED_MODELS);
const app = createApp({ store, files: BUNDLED_MODELS, manifest: BUNDLED_MANIFEST });

// GET /__bench/cold-load: ms to load the models, then ms for the first and second image (model work + PNG).
app.get('/__bench/cold-load', async (c) => {
  const t0 = performance.now();
  const models = await store.load();
  const t1 = performance.now();
  await encodeGrid((await generateImages(models, 1, 1)).pixels, 1, 1);
  const t2 = performance.now();
  await encodeGrid((await generateImages(models, 2, 1)).pixels, 1, 1);
  const t3 = performance.now();
  return c.json({ loadMs: t1 - t0, firstImageMs: t2 - t1, secondImageMs: t3 - t2 });
});

export default app;

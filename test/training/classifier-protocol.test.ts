/**
 * The honest 50-label protocol: nothing the main result depends on may read the validation labels (they
 * only feed the oracle row) or the test labels (they only score). Run the study on real MNIST rows three
 * times: as is, with every validation label changed, with every test label changed; the honest choices
 * must not move, and with poisoned validation labels not even the honest test numbers may move.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { IMAGE_PIXELS } from '../../core/contract';
import { selectBackend } from '../../training/backend';
import { QUICK_CONFIG, type RunConfig } from '../../training/config';
import { loadDataset, type Dataset } from '../../training/data/mnist';
import { predictBatched } from '../../training/fit';
import { buildEncoder } from '../../training/models/architectures';
import { consoleLogger } from '../../training/progress';
import { seedStage } from '../../training/seeding';
import { runClassifierStudy, stratifiedFolds, type StudyResult } from '../../training/stages/classifier-study';

const config: RunConfig = {
  ...QUICK_CONFIG,
  study: { labelled: 50, draws: 2, folds: 5, frozenEpochs: 8, finetuneEpochs: 2, validationRows: 200, neighbours: 5 },
};

async function study(data: Dataset): Promise<StudyResult['metrics']> {
  seedStage(7, 'encoder');
  const encoder = buildEncoder();
  const trainCodes = predictBatched(encoder, data.train.images, IMAGE_PIXELS);
  const rng = seedStage(7, 'classifier-study');
  const r = await runClassifierStudy({ data, encoder, trainCodes, buildEncoder: () => buildEncoder(), config, logger: consoleLogger({ quiet: true }), rng });
  r.served.dispose();
  encoder.dispose();
  return r.metrics;
}

const shifted = (labels: Uint8Array) => labels.map((l) => (l + 1) % 10);

/** Everything the honest result consists of: the choices and the test numbers. */
function honest(m: StudyResult['metrics']) {
  return {
    frozen: m.frozen,
    finetuned: m.finetuned,
    semisupervised: m.semisupervised.runs,
    candidates: Object.fromEntries(Object.entries(m.semisupervised.candidates).map(([id, c]) => [id, c.test])),
    pca: m.baselines.pca50_label_spreading.runs,
    served: m.served.test_accuracy,
    architectures: Object.fromEntries(Object.entries(m.architectures).map(([id, a]) => [id, { cv: a.cv, test: a.test, setting: a.chosen_setting }])),
  };
}

function choices(m: StudyResult['metrics']) {
  return {
    chosen: m.frozen.chosen_per_draw,
    cv: Object.fromEntries(Object.entries(m.architectures).map(([id, a]) => [id, { cv: a.cv, setting: a.chosen_setting }])),
    served: m.served.train_indices,
  };
}

describe('honest 50-label protocol', () => {
  let data: Dataset;
  let clean: StudyResult['metrics'];
  beforeAll(async () => {
    await selectBackend('wasm').catch(() => selectBackend('cpu'));
    data = await loadDataset({ limitTrain: 800, limitTest: 300 });
    clean = await study(data);
  }, 600_000);

  it('gives the same honest result when every validation label is wrong (only the oracle row changes)', async () => {
    const poisoned = await study({ ...data, validation: { ...data.validation, labels: shifted(data.validation.labels) } });
    expect(honest(poisoned)).toEqual(honest(clean));
    expect(poisoned.oracle_validation_selection.frozen.runs).not.toEqual(clean.oracle_validation_selection.frozen.runs);
  }, 600_000);

  it('makes the same choices when every test label is wrong (the test set only scores)', async () => {
    const poisoned = await study({ ...data, test: { ...data.test, labels: shifted(data.test.labels) } });
    expect(choices(poisoned)).toEqual(choices(clean));
    expect(poisoned.semisupervised.mean).toBeLessThan(clean.semisupervised.mean);
  }, 600_000);

  it('holds out one image of every digit per fold', () => {
    const labels = Uint8Array.from({ length: 50 }, (_, i) => Math.floor(i / 5));
    const folds = stratifiedFolds(labels, 5);
    for (const held of folds) expect(held.map((i) => labels[i]).sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(folds.flat().sort((a, b) => a - b)).toEqual([...Array(50).keys()]);
  });
});

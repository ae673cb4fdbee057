/**
 * Development experiment (issue 20): train the conditional and/or the unconditional latent GAN on the codes
 * of a saved autoencoder (decoder-sweep.ts --save) under config overrides, and score them the way the
 * generation study does (training/stages/generation-study.ts): FD of FRECHET_DRAWS independent draws of
 * `--samples` decoded samples to the 10,000 test images in the SHIPPED evaluator's features
 * (models/tfjs/evaluator), at each of BASELINE_TEMPERATURES, next to the per-digit GMM_COMPONENTS-component
 * mixtures at the same temperatures and draw sizes (equal-share for the cGAN and the GAN, class-frequency for
 * the GAN). Code width and noise width are core/contract.ts's LATENT_DIM and NOISE_DIM.
 * Prints one JSON line per GAN (and one for the mixtures, cached in <dir>/mixture-scores.json).
 *
 *   taskset -c 1 nice -n 5 npx tsx training/experiments/gan-sweep.ts --help
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import * as tf from '@tensorflow/tfjs';
import { IMAGE_PIXELS, LATENT_DIM, NOISE_DIM, NUM_CLASSES } from '../../core/contract';
import { noiseForSeed, type Rng } from '../../core/rng';
import { selectBackend } from '../backend';
import { FULL_CONFIG, type GanConfig } from '../config';
import { loadDataset } from '../data/mnist';
import { predictBatched } from '../fit';
import { fitGaussian } from '../metrics/frechet';
import { loadModel, saveModel } from '../model-io';
import { consoleLogger, round } from '../progress';
import { seedStage } from '../seeding';
import { evaluatorOf, imageFeatures } from '../stages/evaluator';
import { atTemperatureFactor, sampleCodes, trainLatentGan, type GanResult } from '../stages/gan';
import {
  BASELINE_TEMPERATURES,
  FRECHET_DRAWS,
  GMM_COMPONENTS,
  decodeLatents,
  sampleScorer,
  spreadOf,
  type SampleScores,
} from '../stages/generation-study';
import { drawDigits, fitClassGmm, sampleMixture } from '../stages/latent-baselines';
import { cpuSeconds } from './autoencoder-variants';

const list = (s: string) => s.split(',').filter(Boolean).map(Number);

const program = new Command()
  .option('--name <s>', 'variant name', 'variant')
  .option('--dir <dir>', 'directory holding encoder/ and decoder/ tfjs models (decoder-sweep.ts --save)', '/work/exp/ae32')
  .addOption(new Option('--models <list>', 'GANs to train: cgan, gan, both, or none (mixtures only)').choices(['cgan', 'gan', 'both', 'none']).default('both'))
  .option('--seed <n>', 'run seed (stages seeded as the pipeline seeds them: "gan", "cgan")', Number, 1)
  .option('--samples <n>', 'samples per FD draw (the study: evaluation.samples)', Number, FULL_CONFIG.evaluation.samples)
  .option('--steps <n>', 'GAN steps', Number)
  .option('--batch <n>', 'GAN batch size', Number)
  .option('--lr <x>', "Adam's learning rate", Number)
  .option('--g-hidden <n>', 'generator hidden width', Number)
  .option('--d-hidden <n>', 'discriminator hidden width', Number)
  .option('--d-dropout <x>', "dropout after the discriminator's hidden layers", Number)
  .option('--d-lr <x>', "the discriminator's own Adam learning rate (GanConfig.discriminatorLearningRate)", Number)
  .option('--d-steps <n>', 'discriminator updates per generator update (GanConfig.discriminatorSteps)', Number)
  .option('--layers <n>', 'hidden layers in each network', Number)
  .option('--ema <x>', 'decay of the generator weight average', Number)
  .option('--mmd <x>', 'MMD term weight', Number)
  .option('--mmd-scale <x>', "factor on the MMD kernels' squared bandwidths", Number)
  .option('--cls <x>', 'classification term weight', Number)
  .option('--cls-below <p>', 'the classification term only for codes given less than this probability of their class (GanConfig.classificationBelow)', Number)
  .option('--cls-epochs <n>', "epochs of the classification term's code classifier (GanConfig.codeClassifierEpochs; unset 3)", Number)
  .option('--mixture-base', 'generators start as the per-digit Gaussian mixtures and learn a correction (needs NOISE_DIM > LATENT_DIM)')
  .option('--components <n>', 'with --mixture-base: components per digit', Number)
  .addOption(
    new Option('--image-d <real>', 'the discriminator reads decoded images, against the training images or their reconstructions').choices(['images', 'reconstructions']),
  )
  .option('--gan-temperature <x>', "the unconditional GAN's served temperature (FULL_GAN: 1.05)", Number)
  .option('--cgan-temperature <x>', "the cGAN's served temperature (FULL_CGAN: 1)", Number)
  .option('--save <dir>', 'save the generators here (<dir>/generator, <dir>/cgan-generator)')
  .option('--load <dir>', 'score generators saved by --save instead of training (give the temperature they were saved at)')
  .option('--also-at <list>', 'temperatures scored besides BASELINE_TEMPERATURES and the served one', '')
  .option('--fresh-mixtures', 'recompute the mixtures even if <dir>/mixture-scores.json exists');

type Options = ReturnType<typeof program.opts>;

/** FULL_CGAN / FULL_GAN with the command line's overrides (undefined options keep the recipe's value). */
function configOf(base: GanConfig, o: Options, conditional: boolean): GanConfig {
  const pick = <K extends keyof GanConfig>(key: K, value: GanConfig[K] | undefined) => (value === undefined ? {} : { [key]: value });
  return {
    ...base,
    ...pick('steps', o.steps),
    ...pick('batchSize', o.batch),
    ...pick('learningRate', o.lr),
    ...pick('generatorHidden', o.gHidden),
    ...pick('discriminatorHidden', o.dHidden),
    ...pick('discriminatorDropout', o.dDropout),
    ...pick('discriminatorSteps', o.dSteps),
    ...pick('discriminatorLearningRate', o.dLr),
    ...pick('layers', o.layers),
    ...pick('emaDecay', o.ema),
    ...pick('mmdWeight', o.mmd),
    ...pick('mmdBandwidthScale', o.mmdScale),
    ...pick('classificationWeight', o.cls),
    ...pick('classificationBelow', o.clsBelow),
    ...pick('codeClassifierEpochs', o.clsEpochs),
    ...pick('mixtureBase', o.mixtureBase),
    ...pick('digitComponents', o.components),
    ...pick('imageDiscriminator', o.imageD as GanConfig['imageDiscriminator']),
    ...pick('temperature', conditional ? o.cganTemperature : o.ganTemperature),
  };
}

/** What the JSON lines keep of a score: FD mean, draws and spread, plus the rest. */
function summary(s: SampleScores, temperature: number) {
  return { temperature, frechet: s.frechet, frechet_draws: s.frechet_draws, spread: round(spreadOf(s), 3), ...rest(s) };
}
function rest({ frechet: _f, frechet_draws: _d, samples: _s, ...other }: SampleScores) {
  return other;
}

async function main() {
  const o = program.parse().opts();
  await selectBackend('wasm');
  const logger = consoleLogger();
  const data = await loadDataset();
  const evaluator = evaluatorOf(await loadModel('models/tfjs/evaluator'), {} as never);
  const testGaussian = fitGaussian(imageFeatures(evaluator, data.test.images), evaluator.featureDim);
  const { scoreDraws } = sampleScorer(evaluator, testGaussian);
  const encoder = await loadModel(`${o.dir}/encoder`);
  const decoder = await loadModel(`${o.dir}/decoder`);
  if (encoder.outputs[0].shape[1] !== LATENT_DIM) throw new RangeError(`${o.dir}'s encoder codes have ${encoder.outputs[0].shape[1]} numbers, LATENT_DIM is ${LATENT_DIM}`);
  const trainCodes = predictBatched(encoder, data.train.images, IMAGE_PIXELS);
  const labels = data.train.labels;
  // the study's conditional draws: samples/10 per digit
  const perDigit = Math.ceil(o.samples / NUM_CLASSES);
  const digits = Uint8Array.from({ length: perDigit * NUM_CLASSES }, (_, i) => Math.floor(i / perDigit));
  const draw = (sample: () => Float32Array, requested?: Uint8Array) => scoreDraws(() => decodeLatents(decoder, sample()), requested, FRECHET_DRAWS).scores;

  // the mixtures: one fit per saved autoencoder, scored with the study's draws at each temperature
  const cache = `${o.dir}/mixture-scores.json`;
  const key = { seed: o.seed, samples: o.samples, components: GMM_COMPONENTS, draws: FRECHET_DRAWS, temperatures: BASELINE_TEMPERATURES };
  let mixtures: { key: typeof key; class_gmm: ReturnType<typeof summary>[]; class_mixture: ReturnType<typeof summary>[] } | undefined;
  if (!o.freshMixtures && existsSync(cache)) {
    const cached = JSON.parse(await readFile(cache, 'utf8'));
    if (JSON.stringify(cached.key) === JSON.stringify(key)) mixtures = cached;
  }
  if (!mixtures) {
    const started = Date.now();
    const rng = seedStage(o.seed, 'generation-study');
    const gmm = fitClassGmm(trainCodes, labels, GMM_COMPONENTS, o.seed);
    const at = (t: number) => ({
      class_gmm: summary(draw(() => sampleMixture(gmm, digits, t, rng), digits), t),
      class_mixture: summary(draw(() => sampleMixture(gmm, drawDigits(gmm, o.samples, rng), t, rng)), t),
    });
    const rows = BASELINE_TEMPERATURES.map(at);
    mixtures = { key, class_gmm: rows.map((r) => r.class_gmm), class_mixture: rows.map((r) => r.class_mixture) };
    await writeFile(cache, JSON.stringify(mixtures));
    logger.log(`   mixtures scored in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  console.log(JSON.stringify({ name: 'mixtures', latent_dim: LATENT_DIM, ...mixtures }));

  const wanted = o.models === 'both' ? ['cgan', 'gan'] : o.models === 'none' ? [] : [o.models];
  for (const stage of wanted) {
    const conditional = stage === 'cgan';
    const config = configOf(conditional ? FULL_CONFIG.cgan : FULL_CONFIG.gan, o, conditional);
    const rng = seedStage(o.seed, stage);
    const cpu = process.cpuUsage();
    const t0 = Date.now();
    const file = conditional ? 'cgan-generator' : 'generator';
    const { generator, metrics } = o.load
      ? { generator: await loadModel(`${o.load}/${file}`), metrics: { loaded: `${o.load}/${file}`, loss_curve: [] as GanResult['metrics']['loss_curve'] } }
      : await trainLatentGan({ codes: trainCodes, labels, conditional, config, logger, rng, decoder, images: data.train.images });
    const trainSeconds = (Date.now() - t0) / 1000;
    const trainCpu = cpuSeconds(cpu);
    if (o.save) await saveModel(generator, `${o.save}/${file}`);

    const scoreRng: Rng = seedStage(o.seed, `gan-sweep-${stage}`);
    const t1 = Date.now();
    const own = config.temperature;
    const scoreAt = (t: number) =>
      atTemperatureFactor(generator, conditional, t / own, () =>
        conditional
          ? draw(() => sampleCodes(generator, noiseForSeed(scoreRng.nextUint32(), digits.length, NOISE_DIM), digits), digits)
          : draw(() => sampleCodes(generator, noiseForSeed(scoreRng.nextUint32(), o.samples, NOISE_DIM))),
      );
    const temperatures = [...new Set([own, ...BASELINE_TEMPERATURES, ...list(o.alsoAt)])];
    const byTemperature = temperatures.map((t) => ({ t, scores: scoreAt(t) }));
    const served = byTemperature[0].scores;
    // the study's margins (generation-study.ts): the mixture's mean FD at each BASELINE_TEMPERATURE minus the
    // served generator's; for the cGAN minus the larger spread of the two sets of draws too. > 0 = the GAN wins.
    const margin = (mixture: ReturnType<typeof summary>, subtractSpread: boolean) =>
      round(mixture.frechet - served.frechet - (subtractSpread ? Math.max(mixture.spread, spreadOf(served)) : 0), 3);
    // the same comparison at equal temperature: the generator at T against the mixture at T
    const sameT = (mixture: ReturnType<typeof summary>[], subtractSpread: boolean) =>
      BASELINE_TEMPERATURES.map((t, i) => {
        const g = byTemperature.find((r) => r.t === t)!.scores;
        return round(mixture[i].frechet - g.frechet - (subtractSpread ? Math.max(mixture[i].spread, spreadOf(g)) : 0), 3);
      });
    const line = {
      name: o.name,
      model: stage,
      latent_dim: LATENT_DIM,
      noise_dim: NOISE_DIM,
      config,
      train_s: +trainSeconds.toFixed(1),
      train_cpu_s: +trainCpu.toFixed(1),
      score_s: +((Date.now() - t1) / 1000).toFixed(1),
      served_temperature: own,
      by_temperature: byTemperature.map(({ t, scores }) => summary(scores, t)),
      ...(conditional
        ? {
            margins_over_class_gmm: mixtures.class_gmm.map((m) => margin(m, true)),
            same_t_margins_over_class_gmm: sameT(mixtures.class_gmm, true),
          }
        : {
            margins_over_class_gmm: mixtures.class_gmm.map((m) => margin(m, false)),
            margins_over_class_mixture: mixtures.class_mixture.map((m) => margin(m, false)),
            same_t_margins_over_class_gmm: sameT(mixtures.class_gmm, false),
            same_t_margins_over_class_mixture: sameT(mixtures.class_mixture, false),
          }),
      training: { ...metrics, loss_curve: metrics.loss_curve.filter((_, i) => i % 10 === 0) },
    };
    console.log(JSON.stringify(line));
    generator.dispose();
  }
  tf.disposeVariables();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

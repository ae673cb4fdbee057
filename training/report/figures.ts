/** Writes the run's figures (PNG) and the accuracy curves (CSV) into a directory. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gridPng } from '../../core/png';
import type { CurveRow } from '../stages/classifier-study';
import type { GenerationStudy } from '../stages/generation-study';
import { lineChartPng, type Series } from './chart';

export const FIGURES = {
  samples: 'gan-samples.png',
  conditional: 'cgan-digits.png',
  interpolation: 'interpolation.png',
  reconstructions: 'reconstructions.png',
  accuracyCurves: 'accuracy-curves.png',
  accuracyCsv: 'accuracy-curves.csv',
  interpolationConfidence: 'interpolation-confidence.png',
} as const;

function meanCurves(curves: CurveRow[]): Series[] {
  const groups = new Map<string, Map<number, number[]>>();
  for (const row of curves) {
    const key = `${row.method}: ${row.architecture}`;
    const byEpoch = groups.get(key) ?? new Map<number, number[]>();
    byEpoch.set(row.epoch, [...(byEpoch.get(row.epoch) ?? []), row.validation_accuracy]);
    groups.set(key, byEpoch);
  }
  return [...groups].map(([name, byEpoch]) => ({
    name,
    dashed: name.startsWith('finetuned'),
    points: [...byEpoch].map(([epoch, accs]) => [epoch, accs.reduce((a, b) => a + b, 0) / accs.length] as [number, number]),
  }));
}

export function curvesCsv(curves: CurveRow[]): string {
  const header = 'method,architecture,draw,epoch,validation_accuracy';
  return [header, ...curves.map((r) => `${r.method},${r.architecture},${r.draw},${r.epoch},${r.validation_accuracy}`)].join('\n') + '\n';
}

export async function writeFigures(dir: string, study: GenerationStudy, curves: CurveRow[], reference: { frozen: number; finetuned: number }): Promise<void> {
  await mkdir(dir, { recursive: true });
  const f = study.figures;
  const files: [string, Uint8Array | string][] = [
    [FIGURES.samples, await gridPng(f.samples, f.samples.length / 784, { columns: 8, scale: 2, gap: 2 })],
    [FIGURES.conditional, await gridPng(f.conditionalGrid, f.conditionalGrid.length / 784, { columns: f.conditionalColumns, scale: 2, gap: 2 })],
    [FIGURES.interpolation, await gridPng(f.interpolationRows, f.interpolationRows.length / 784, { columns: study.metrics.interpolation.steps, scale: 2, gap: 2 })],
    [FIGURES.reconstructions, await gridPng(f.reconstructions, f.reconstructions.length / 784, { columns: f.reconstructionColumns, scale: 2, gap: 2 })],
    [FIGURES.accuracyCsv, curvesCsv(curves)],
    [
      FIGURES.accuracyCurves,
      lineChartPng({
        title: 'Validation accuracy per epoch, 50 labels (mean over draws)',
        xLabel: 'epoch',
        yLabel: 'validation accuracy',
        series: meanCurves(curves),
        yMin: 0,
        yMax: 1,
        references: [
          { label: `published frozen ${reference.frozen}`, y: reference.frozen },
          { label: `published stacked ${reference.finetuned}`, y: reference.finetuned },
        ],
      }),
    ],
    [
      FIGURES.interpolationConfidence,
      lineChartPng({
        title: 'Evaluator confidence along interpolation paths',
        xLabel: 'step along the path',
        yLabel: 'mean max class probability',
        yMin: 0,
        yMax: 1,
        series: [
          { name: 'generator noise', points: study.metrics.interpolation.noise.confidence_by_step.map((c, i) => [i, c]) },
          { name: 'encoded real images', points: study.metrics.interpolation.real.confidence_by_step.map((c, i) => [i, c]) },
          { name: 'cGAN digit morph', dashed: true, points: study.metrics.interpolation.conditional_morph.confidence_by_step.map((c, i) => [i, c]) },
        ],
      }),
    ],
  ];
  await Promise.all(files.map(([name, content]) => writeFile(join(dir, name), content)));
}

import { describe, expect, it } from 'vitest';
import { trainingCurvesSpec, trainingCurvesSvg } from '../src/plot/training-curves.js';

describe('training curves (SVG)', () => {
  const curves = [
    { name: '4 B · distill', epochLoss: [3, 2.5, 2.25] },
    { name: '10 B · contras', epochLoss: [4, 3.5] },
  ];

  it('plots one point per epoch of each run, with the losses as given', async () => {
    const spec = trainingCurvesSpec(curves, 'title') as { data: { values: { run: string; epoch: number; loss: number }[] } };
    expect(spec.data.values).toEqual([
      { run: '4 B · distill', epoch: 1, loss: 3 },
      { run: '4 B · distill', epoch: 2, loss: 2.5 },
      { run: '4 B · distill', epoch: 3, loss: 2.25 },
      { run: '10 B · contras', epoch: 1, loss: 4 },
      { run: '10 B · contras', epoch: 2, loss: 3.5 },
    ]);
    const svg = await trainingCurvesSvg(curves, 'title');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.match(/aria-roledescription="point"/g)).toHaveLength(5);
    expect(svg.match(/aria-roledescription="line mark"/g)).toHaveLength(2);
    expect(svg).toContain('10 B · contras');
  });

  it('refuses a non-finite loss or nothing to plot, naming the run and epoch', () => {
    expect(() => trainingCurvesSpec([{ name: 'r', epochLoss: [1, Number.NaN] }], 't')).toThrow(/r, epoch 2: loss NaN is not finite/);
    expect(() => trainingCurvesSpec([], 't')).toThrow(/no training run to plot/);
  });
});

import { roundProjUpDim, type ProjRounding } from '../../spec.js';
import { formatFloat } from '../values.js';
import { blame, type Field, type SectionView } from '../section-view.js';

/** proj_factor and the rounding keys of an mLSTM or FFN section, or undefined if one is invalid. */
export function projRounding(view: SectionView): ProjRounding | undefined {
  const projFactor = view.num('proj_factor')?.value;
  const roundProjUpDimUp = view.bool('round_up')?.value;
  const roundProjUpToMultipleOf = view.num('round_to')?.value;
  if (projFactor === undefined || roundProjUpDimUp === undefined || roundProjUpToMultipleOf === undefined) return undefined;
  return { projFactor, roundProjUpDimUp, roundProjUpToMultipleOf };
}

/** The projected dim (mLSTM I, FFN F) with a sentence saying how it came about, for messages. */
export interface Projection {
  dim: number;
  rounding: ProjRounding;
  why: string;
  /** Where to point when the projected dim is the problem. */
  span: Field<unknown>['span'];
}

export function projectionOf(view: SectionView, embed: Field<number> | undefined): Projection | undefined {
  const rounding = projRounding(view);
  if (rounding === undefined || embed === undefined) return undefined;
  const dim = roundProjUpDim(embed.value, rounding);
  const raw = rounding.projFactor * embed.value;
  const how = rounding.roundProjUpDimUp ? 'up' : 'down';
  const why = `proj_factor ${formatFloat(rounding.projFactor)} × embed ${embed.value} = ${Number(raw.toPrecision(12))}, rounded ${how} to a multiple of ${rounding.roundProjUpToMultipleOf}`;
  const span = blame(view.num('proj_factor'), view.num('round_to'), view.bool('round_up'), embed) ?? embed.span;
  return { dim, rounding, why, span };
}

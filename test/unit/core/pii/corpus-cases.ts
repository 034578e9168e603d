// The corpus sentences that mark a given type: each detector's contract runs them as positives
// (the other marks in them are another detector's, which the contract ignores).
import type { PiiType } from '../../../../layers/core/src/index.ts';
import { LABELLED } from '../../../fixtures/pii/pii-corpus.ts';

export function corpusPositives(type: PiiType): string[] {
  return LABELLED.filter((s) => s.includes(`⟦${type}:`));
}

// Job workflow steps `RecordSuccess` and `RecordFailure`.
import { type RecordInput, recordJob } from './job-steps.service.ts';
import { jobs } from './job-steps.wiring.ts';

export const handler = (input: RecordInput): Promise<{ status: string }> => recordJob({ jobs }, input);

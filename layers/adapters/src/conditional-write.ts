// DynamoDB conditional writes: telling a failed condition (someone else got there first, or the
// item is not in the state the write expects) from any other error.

/** Whether `err` is DynamoDB's answer to a write whose condition did not hold. */
export const isConditionFailure = (err: unknown): boolean =>
  err instanceof Error && err.name === 'ConditionalCheckFailedException';

/** Awaits a conditional write: true when it was written, false when its condition failed. */
export async function written(write: Promise<unknown>): Promise<boolean> {
  try {
    await write;
    return true;
  } catch (err) {
    if (isConditionFailure(err)) return false;
    throw err;
  }
}

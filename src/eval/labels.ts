/** Shared label validation for eval modules. */

/** Returns `value` as a class index, or throws if it is not an integer in [0, numClasses). */
export function checkLabel(value: number | undefined, index: number, numClasses: number): number {
  if (value === undefined || !Number.isInteger(value) || value < 0 || value >= numClasses) {
    throw new RangeError(`label at ${index} = ${value} is not a class index in [0, ${numClasses})`);
  }
  return value;
}

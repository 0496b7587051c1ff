// What became of a drift exec's sample (native/decide/SampleCapture.hh, same names).

/**
 * off: the policy captures nothing (or the file is an image file); captured: the bytes
 * are in the record; too_large: over the policy's capture.maxBytes; changed: the bytes read
 * after the answer do not hash to the finding's digest (the file changed); unreadable: the
 * read failed or the file shrank; busy: the queue after the answer or the bytes in flight
 * were full.
 */
export const SAMPLE_CAPTURES = ["off", "captured", "too_large", "changed", "unreadable", "busy"] as const;
export type SampleCapture = (typeof SAMPLE_CAPTURES)[number];

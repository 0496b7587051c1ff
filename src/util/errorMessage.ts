// The message of anything thrown: an Error's message, anything else as a string (a
// rejected promise or a callback may carry a value that is no Error).
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

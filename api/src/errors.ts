/**
 * Every error the exporter answers is `{"error": "…"}` (ErrorAnswer); a
 * proxy or another server in between may answer anything else.
 */

/** "HTTP 400: filter: …" from an error answer's status and text; the start of the text when it is not an ErrorAnswer. */
export function errorMessage(status: number, text: string): string {
  let msg = text.slice(0, 200);
  try {
    const error = (JSON.parse(text) as { error?: unknown }).error;
    if (typeof error === 'string') msg = error;
  } catch {
    // not JSON: keep the text
  }
  return `HTTP ${status}: ${msg}`;
}

/** An error with the HTTP status it answers with; its message names the parameter. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}
